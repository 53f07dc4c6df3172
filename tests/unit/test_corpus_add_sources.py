"""Adding documents to the corpus (used by `nkner doccano pull --apply` for pulled excerpts)."""
from __future__ import annotations

import json

import pytest

from nkner.corpus.build import add_sources
from nkner.corpus.store import CorpusError, load_document, load_metadata, sha256_text
from nkner.doccano.pull import excerpt_source_row


def test_add_sources_writes_raw_source_row_and_metadata(data_copy):
    before = (data_copy / "corpus" / "sources.json").read_text(encoding="utf-8")
    n = len(load_metadata())
    text = "China deported 60 North Koreans in 2024.\n"
    doc_id = "ex_" + sha256_text(text)[:16]
    row = excerpt_source_row(doc_id, {"path": "r.txt", "start": 0, "end": 40, "report_sha256": "ab" * 32})
    messages = []
    add_sources([(row, text)], report=messages.append)
    after = (data_copy / "corpus" / "sources.json").read_text(encoding="utf-8")
    assert after.startswith(before[:before.rindex("]")].rstrip())  # the hand-written part is kept as it was
    assert json.loads(after)["documents"][-1] == row
    assert (data_copy / "corpus" / "raw" / f"{doc_id}.txt").read_text(encoding="utf-8") == text
    meta = load_metadata()
    assert len(meta) == n + 1 and meta[doc_id]["excerpt_of"] == row["excerpt_of"]
    assert meta[doc_id]["split"] == "train"
    assert load_document(doc_id).text == text
    with pytest.raises(CorpusError, match=f"already has documents {doc_id}"):
        add_sources([(row, text)])


def test_add_sources_refuses_a_wrong_row_and_leaves_nothing(data_copy):
    before = (data_copy / "corpus" / "sources.json").read_text(encoding="utf-8")
    text = "A report.\n"
    doc_id = "500_" + sha256_text(text)[:16]
    row = {"id": doc_id, "title": "t", "publisher": "P", "genre": "blog", "split": "train", "language": "en"}
    with pytest.raises(CorpusError, match="genre 'blog' is not one of.*missing licence"):
        add_sources([(row, text)])
    assert (data_copy / "corpus" / "sources.json").read_text(encoding="utf-8") == before
    assert not (data_copy / "corpus" / "raw" / f"{doc_id}.txt").exists()
    with pytest.raises(CorpusError, match="unknown source keys colour"):
        add_sources([(dict(row, colour="red"), text)])


def test_add_sources_needs_the_sources_file(data_copy):
    (data_copy / "corpus" / "sources.json").unlink()
    with pytest.raises(CorpusError, match="sources.json: corpus sources not found"):
        add_sources([({"id": "x"}, "text\n")])
    assert not (data_copy / "corpus" / "raw" / "x.txt").exists()

"""Adding documents to the corpus (used by `nkner doccano pull --apply` for pulled excerpts)."""
from __future__ import annotations

import json

import pytest

from nkner.corpus.build import add_sources
from nkner.corpus.store import CorpusError, load_document, load_metadata


def test_add_sources_writes_raw_source_row_and_metadata(data_copy):
    before = (data_copy / "corpus" / "sources.json").read_text(encoding="utf-8")
    n = len(load_metadata())
    row = {"id": "ex_0123456789abcdef", "title": "excerpt of r.txt [0:40]", "kind": "excerpt", "language": "en",
           "excerpt_of": {"path": "r.txt", "start": 0, "end": 40}}
    text = "China deported 60 North Koreans in 2024.\n"
    messages = []
    add_sources([(row, text)], report=messages.append)
    after = (data_copy / "corpus" / "sources.json").read_text(encoding="utf-8")
    assert after.startswith(before[:before.rindex("]")].rstrip())  # the hand-written part is kept as it was
    assert json.loads(after)["documents"][-1] == row
    assert (data_copy / "corpus" / "raw" / f"{row['id']}.txt").read_text(encoding="utf-8") == text
    meta = load_metadata()
    assert len(meta) == n + 1 and meta[row["id"]]["excerpt_of"] == row["excerpt_of"]
    assert load_document(row["id"]).text == text
    with pytest.raises(CorpusError, match="already has documents ex_0123456789abcdef"):
        add_sources([(row, text)])


def test_add_sources_needs_the_sources_file(data_copy):
    (data_copy / "corpus" / "sources.json").unlink()
    with pytest.raises(CorpusError, match="sources.json: corpus sources not found"):
        add_sources([({"id": "x"}, "text\n")])
    assert not (data_copy / "corpus" / "raw" / "x.txt").exists()

"""Corpus metadata: splits, genres and the core set; the validator's split and provenance contract."""
from __future__ import annotations

import hashlib
import json

import pytest

from nkner.corpus.export import export
from nkner.corpus.store import CorpusError, load
from nkner.corpus.validate import validate_sources

CORE = ["000_d2cb8ed886a0f5fe", "001_bc4fffce1c9afb7e", "002_15cdb8acb07cd0e8", "003_9b9b839d26407139",
        "004_f906a5d173e9d91e"]


def add_source(root, n: int, text: str, **fields) -> str:
    """Add one extension document (raw text + sources.json entry) to a corpus copy; return its id."""
    raw = text.encode("utf-8")
    doc_id = f"{n:03d}_{hashlib.sha256(raw).hexdigest()[:16]}"
    (root / "corpus" / "raw" / f"{doc_id}.txt").write_bytes(raw)
    path = root / "corpus" / "sources.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    entry = {"id": doc_id, "title": "t", "publisher": "Pub A", "genre": "news", "split": "test",
             "licence": "public domain", "rights_note": "a U.S. government work", "retrieved": "2026-12-05",
             "language": "en", "repository": "o/r", "path": "a.md", "commit": "0" * 40}
    entry.update(fields)
    data["documents"].append({k: v for k, v in entry.items() if v is not None})
    path.write_text(json.dumps(data), encoding="utf-8")
    return doc_id


def test_core_texts_are_marked_and_selectable(data_copy):
    core = load(core=True)
    assert [d.id for d in core] == CORE
    assert all(d.core and d.split == "train" and d.is_gold for d in core)
    extension = load(core=False)
    assert len(core) + len(extension) == len(load()) and not any(d.core for d in extension)
    assert {d.genre for d in core} == {"essay", "news"}
    assert [d.id for d in load(genre="news", core=True)] == ["003_9b9b839d26407139"]
    assert all(d.split == "test" for d in load(split="test"))


def test_filters_reject_unknown_values(data_copy):
    with pytest.raises(CorpusError, match="unknown split 'validation'"):
        load(split="validation")
    with pytest.raises(CorpusError, match="unknown genre 'blog'"):
        load(genre=["news", "blog"])


def test_validate_sources_is_clean_on_the_corpus(data_copy):
    assert validate_sources() == []


def test_test_publisher_must_be_held_out(data_copy):
    add_source(data_copy, 900, "One text.", publisher="Shared Outlet", split="train")
    test_id = add_source(data_copy, 901, "Another text.", publisher="The Shared  Outlet", split="test")
    probs = validate_sources()
    assert [(p.doc_id, p.rule) for p in probs] == [(test_id, "split")]
    assert "also appears in train or dev" in probs[0].message


def test_extension_needs_provenance_and_unchanged_raw_bytes(data_copy):
    doc_id = add_source(data_copy, 902, "Some text.", licence=None, commit=None, genre="blog")
    (data_copy / "corpus" / "raw" / f"{doc_id}.txt").write_text("Some text, edited.", encoding="utf-8")
    msgs = sorted(f"{p.rule}: {p.message}" for p in validate_sources() if p.doc_id == doc_id)
    assert msgs[0].startswith("provenance: missing licence, url or repository/path/commit")
    assert msgs[1] == "provenance: the id's hash does not match the bytes of " \
        f"{data_copy / 'corpus' / 'raw' / (doc_id + '.txt')} (raw texts never change)"
    assert msgs[2].startswith("sources: genre 'blog' is not one of")


def test_export_jsonl_carries_split_genre_and_core_and_skips_unannotated(data_copy, tmp_path):
    from nkner.corpus.build import clean_corpus

    extra = add_source(data_copy, 903, "An unannotated report.\n", split="dev", publisher="Pub B")
    before = len(load())
    clean_corpus(report=lambda line: None)
    assert len(load()) == before + 1
    out = tmp_path / "gold.jsonl"
    export("jsonl", out)
    metas = [json.loads(line)["meta"] for line in out.read_text(encoding="utf-8").splitlines()]
    gold = load(gold_only=True)
    assert [m["doc_id"] for m in metas] == [d.id for d in gold] and extra not in {m["doc_id"] for m in metas}
    assert set(CORE) <= {m["doc_id"] for m in metas}
    assert [(m["split"], m["genre"], m["core"]) for m in metas] == [(d.split, d.genre, d.core) for d in gold]
    assert next(m for m in metas if m["doc_id"] == CORE[3])["genre"] == "news"

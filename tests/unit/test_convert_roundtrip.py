"""Researchers' exports: JSONL -> spaCy -> JSONL is the identity; CoNLL, DataFrames, datasets."""
from __future__ import annotations

from nkner.corpus.convert import (AlignmentReport, dataframes, docs_from_docbin, from_spacy, read_conll, to_conll,
                                  to_docbin, to_spacy)
from nkner.corpus.store import load


def canon(rec: dict) -> dict:
    """Records compared by content: entity ids may be renumbered in text order."""
    ents = sorted(rec["entities"], key=lambda e: (e["start_offset"], e["end_offset"]))
    idmap = {e["id"]: i for i, e in enumerate(ents, 1)}
    return {"text": rec["text"], "meta": rec["meta"],
            "entities": [(e["start_offset"], e["end_offset"], e["label"], e.get("event_type")) for e in ents],
            "relations": sorted((idmap[r["from_id"]], idmap[r["to_id"]], r["type"]) for r in rec["relations"])}


def test_jsonl_spacy_jsonl_round_trip_through_docbin():
    docs = load()
    assert sum(len(d.entities) for d in docs) > 1000
    report = AlignmentReport()
    db = to_docbin(docs, report=report)
    assert report.misaligned == [] and report.total == sum(len(d.entities) for d in docs)
    back = [from_spacy(sd) for sd in docs_from_docbin(type(db)().from_bytes(db.to_bytes()))]
    assert [canon(d.to_record()) for d in back] == [canon(d.to_record()) for d in docs]


def test_spacy_doc_carries_event_types_and_relations():
    d = next(x for x in load() if x.id.startswith("004"))
    sd = to_spacy(d)
    assert len(sd.ents) == len(d.entities)
    assert {e._.event_type for e in sd.ents if e.label_ == "EVENT"} <= {
        "repatriation", "flight", "detention", "abuse", "trafficking", "crisis", "legal_action", "advocacy"}
    assert all(e._.event_type is None for e in sd.ents if e.label_ != "EVENT")
    assert len(sd._.relations) == len(d.relations)


def test_conll_iob2_matches_entities():
    docs = load()
    parsed = read_conll(to_conll(docs))
    assert [p[0] for p in parsed] == [d.id for d in docs]
    for (doc_id, sents), d in zip(parsed, docs):
        tags = [t for s in sents for _, t in s]
        assert sum(t.startswith("B-") for t in tags) == len(d.entities)
        for prev, cur in zip(["O"] + tags, tags):  # IOB2: I- continues a span of the same label
            if cur.startswith("I-"):
                assert prev[2:] == cur[2:] and prev != "O"


def test_dataframes():
    docs = load()
    documents, entities, relations = dataframes(docs)
    assert list(documents.doc_id) == [d.id for d in docs]
    assert list(documents.split) == [d.split for d in docs] and documents.core.sum() == 5
    assert len(entities) == sum(len(d.entities) for d in docs)
    assert len(relations) == sum(len(d.relations) for d in docs)
    row = entities.iloc[0]
    d = next(x for x in docs if x.id == row.doc_id)
    assert d.text[row.start:row.end] == row.text

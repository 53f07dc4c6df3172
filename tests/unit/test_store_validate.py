"""Annotation format, loading with hash checks, and validation of bad records."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nkner.corpus.store import CorpusError, Entity, load, load_document, \
    sha256_text, write_document, annotation_path
from nkner.corpus.validate import validate_corpus, validate_record

REPO = Path(__file__).resolve().parents[2]

TEXT = "Chinese authorities deported 600 North Koreans in October 2023. They fled to South Korea."


def record(entities, relations=(), text=TEXT, **meta):
    m = {"doc_id": "t1", "text_sha256": sha256_text(text), "schema": "v1", "status": "draft", "annotators": {}}
    m.update(meta)
    return {"text": text, "entities": list(entities), "relations": list(relations), "meta": m}


def ent(i, s, e, label, et=None):
    d = {"id": i, "start_offset": s, "end_offset": e, "label": label}
    if et:
        d["event_type"] = et
    return d


GOOD = [ent(1, 0, 19, "ACTOR"), ent(2, 20, 28, "EVENT", "repatriation"), ent(3, 29, 32, "NUMBER"),
        ent(4, 33, 46, "ACTOR"), ent(5, 50, 62, "DATE")]
GOOD_RELS = [{"id": 1, "from_id": 2, "to_id": 1, "type": "agent"}, {"id": 2, "from_id": 2, "to_id": 4, "type": "affected"},
             {"id": 3, "from_id": 3, "to_id": 4, "type": "quantity"}, {"id": 4, "from_id": 2, "to_id": 5, "type": "time"}]


def rules(rep):
    return sorted({p.rule for p in rep.errors})


def test_good_record_is_clean():
    rep = validate_record(record(GOOD, GOOD_RELS), TEXT)
    assert rep.errors == [] and rep.misaligned == []
    assert (rep.entities, rep.relations) == (5, 4)


@pytest.mark.parametrize("entities,relations,rule", [
    ([ent(1, 80, 200, "ACTOR")], [], "offsets"),
    ([ent(1, 0, 19, "PERSON")], [], "label"),
    ([ent(1, 20, 28, "EVENT")], [], "event_type"),
    ([ent(1, 20, 28, "EVENT", "deportation")], [], "event_type"),
    ([ent(1, 0, 19, "ACTOR", "abuse")], [], "event_type"),
    ([ent(1, 0, 19, "ACTOR"), ent(2, 9, 28, "ACTOR")], [], "overlap"),
    ([ent(1, 0, 20, "ACTOR")], [], "whitespace"),
    ([ent(1, 47, 62, "DATE")], [], "leading-word"),
    ([ent(1, 50, 63, "DATE")], [], "trailing-punct"),
    (GOOD, [{"id": 1, "from_id": 1, "to_id": 2, "type": "agent"}], "relation-endpoints"),
    (GOOD, [{"id": 1, "from_id": 2, "to_id": 1, "type": "did"}], "relation-type"),
    (GOOD, [{"id": 1, "from_id": 2, "to_id": 9, "type": "agent"}], "relation"),
    (GOOD + [ent(6, 77, 88, "LOCATION")], [{"id": 1, "from_id": 2, "to_id": 6, "type": "place"}], "relation-sentence"),
    (GOOD, GOOD_RELS[:1] * 2, "relation-duplicate"),
])
def test_bad_records_name_document_span_and_rule(entities, relations, rule):
    rep = validate_record(record(entities, relations), TEXT)
    assert rule in rules(rep)
    p = next(p for p in rep.errors if p.rule == rule)
    assert str(p).startswith("t1:")
    assert p.span is not None or rule.startswith("relation")
    if p.span and p.span_text is not None:
        assert repr(TEXT[p.span[0]:p.span[1]]) in str(p)


def test_misaligned_span_is_counted_not_an_error():
    rep = validate_record(record([ent(1, 0, 4, "ACTOR")]), TEXT)  # "Chin" of "Chinese"
    assert rep.errors == [] and len(rep.misaligned) == 1 and rep.misaligned[0].rule == "token-alignment"


def test_hash_mismatch_and_schema_version():
    rec = record(GOOD, text_sha256="0" * 64, schema="v0")
    assert {"hash", "schema"} <= set(rules(validate_record(rec, TEXT)))
    assert "hash" in rules(validate_record(record(GOOD), TEXT + " changed"))


def test_article_allowed_inside_numeral():
    text = "just under a hundred fled within a year."
    rep = validate_record(record([ent(1, 11, 20, "NUMBER"), ent(2, 33, 39, "DATE")], text=text), text)
    assert rep.errors == []


def test_initial_of_a_name_is_not_an_article():
    text = "Judge A Khan and A report on 118 Stat. here."
    rep = validate_record(record([ent(1, 6, 12, "ACTOR"), ent(2, 17, 25, "ACTOR"), ent(3, 29, 38, "LEGAL_INSTRUMENT")],
                                 text=text), text)
    assert [(p.rule, p.span_text) for p in rep.errors] == [("leading-word", "A report")]


def test_numeral_qualifier_and_names_with_article():
    text = "a little over 9,000 went to The Hague."
    rep = validate_record(record([ent(1, 0, 19, "NUMBER"), ent(2, 28, 37, "LOCATION")], text=text), text)
    assert rep.errors == []


def test_load_checks_text_hash(data_copy):
    doc = load_document("004_f906a5d173e9d91e", with_annotations=False)
    doc.entities = [Entity(1, 0, 1, "ACTOR")]
    doc.meta = {"status": "draft", "annotators": {"drafted_by": "test"}}
    path = write_document(doc)
    assert load_document(doc.id).entities[0].label == "ACTOR"
    rec = json.loads(path.read_text())
    rec["meta"]["text_sha256"] = "f" * 64
    path.write_text(json.dumps(rec) + "\n")
    with pytest.raises(CorpusError, match="does not match"):
        load_document(doc.id)


def test_load_all_documents_with_metadata():
    docs = load()
    assert len(docs) == len(json.loads((REPO / "corpus" / "sources.json").read_text())["documents"])
    assert all(d.text and d.metadata["sha256_clean"] == sha256_text(d.text) for d in docs)
    core = [d for d in docs if d.core]
    assert {d.metadata["kind"] for d in core} == {"essay", "report extract", "news", "op-ed"}


def test_validate_corpus_reports_consistency_warnings(data_copy):
    for doc_id, label in (("003_9b9b839d26407139", "ACTOR"), ("004_f906a5d173e9d91e", "LOCATION")):
        doc = load_document(doc_id, with_annotations=False)
        i = doc.text.index("China")
        doc.entities = [Entity(1, i, i + 5, label)]
        doc.meta = {"status": "draft"}
        write_document(doc)
    for path in annotation_path("x").parent.glob("*.jsonl"):
        if not path.name.startswith(("003_", "004_")):
            path.unlink()
    rep = validate_corpus()
    assert rep.documents == 2 and rep.errors == []
    assert any("'china' labelled ACTOR x1; LOCATION x1" in p.message for p in rep.warnings)


@pytest.mark.parametrize("span, ok", [
    ("in excess of 1,000", True),        # a bound that begins with a preposition belongs to the NUMBER
    ("at most 40", True),
    ("on the order of 300", True),
    ("estimated 200,000", True),
    ("an estimated 200,000", False),     # the article stays outside: "an [estimated 200,000]"
    ("a minimum of 12", False),
    ("a total of 500", False),           # a focus phrase, no bound: outside (guidelines 8.3)
])
def test_number_may_open_with_the_shared_qualifiers_only(span, ok):
    text = f"They counted {span} people."
    rep = validate_record(record([ent(1, 13, 13 + len(span), "NUMBER")], text=text), text)
    assert (rules(rep) == []) is ok

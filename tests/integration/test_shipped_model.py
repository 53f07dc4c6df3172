"""The shipped pipeline round-trips through bytes and through disk with identical output (entities,
event types, normalized values, relations), and its config and meta agree with its learned state."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

spacy = pytest.importorskip("spacy")

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "nkner_default"
TEXTS = [(REPO / "samples" / "report-2024-returns.txt").read_text(encoding="utf-8"),
         (REPO / "corpus" / "clean" / "004_f906a5d173e9d91e.txt").read_text(encoding="utf-8")]


def output(nlp) -> list:
    return [([(e.start_char, e.end_char, e.label_, e._.event_type, e._.canonical, json.dumps(e._.norm, sort_keys=True))
              for e in doc.ents], doc._.relations) for doc in nlp.pipe(TEXTS)]


def test_round_trips_through_bytes_and_disk_give_identical_output(tmp_path):
    from spacy import util

    import nkner

    nlp = nkner.load(MODEL)
    expected = output(nlp)
    assert sum(len(rels) for _, rels in expected) > 0
    assert any(e[3] for ents, _ in expected for e in ents if e[2] == "EVENT")
    again = util.get_lang_class(nlp.config["nlp"]["lang"]).from_config(nlp.config)
    again.from_bytes(nlp.to_bytes())
    assert output(again) == expected
    nlp.to_disk(tmp_path / "m")
    assert output(spacy.load(tmp_path / "m")) == expected


def test_config_and_meta_agree_with_the_learned_state():
    nlp = spacy.load(MODEL)
    rel = nlp.get_pipe("nkner_relations")
    # read with json: spaCy reads meta.json with ujson, which can be off in the last bit of a float
    meta = json.loads((MODEL / "meta.json").read_text(encoding="utf-8"))["nkner"]
    assert nlp.config["components"]["nkner_relations"]["threshold"] is None  # chosen in initialize
    assert rel.threshold == meta["relation_threshold"] and rel.threshold in rel.thresholds
    assert rel.vector_scale == pytest.approx(nlp.config["components"]["nkner_relations"]["vector_scale"])
    assert nlp.config["paths"]["train"] is None and nlp.config["paths"]["dev"] is None
    assert meta["event_examples"] == nlp.get_pipe("nkner_event_typer").n_examples
    assert meta["relation_candidates"] == rel.n_examples
    # its scores are those of the test split it never saw, as docs/evaluation-test.json has them
    scores = meta["split_scores"]
    assert "scored on the test split" in scores["protocol"]
    report = json.loads((MODEL.parents[1] / "docs" / "evaluation-test.json").read_text(encoding="utf-8"))
    system = report["systems"][f"nkner ({meta['backbone']})"]
    assert scores["relations_f"] == system["relations"]["f"] and scores["ents_f"] == system["ents_strict"]["f"]
    assert nlp.meta["performance"]["rel_micro_f"] == pytest.approx(scores["relations_f"])
    assert nlp.meta["performance"]["ents_f"] == pytest.approx(scores["ents_f"])
    # trained on train + dev only: no test document among its training documents
    assert not set(meta["training_documents"]) & set(report["documents"])

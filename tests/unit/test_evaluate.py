"""Scoring against gold: strict and overlap entity counts, event-type accuracy, relation counts, and
the report plumbing that carries LODO scores into a model's meta."""
from __future__ import annotations

import json

from nkner.corpus.store import Document, Entity, Relation
from nkner.training.evaluate import Prediction, score_document
from nkner.training.report import add_to_report
from nkner.training.train import lodo_scores

TEXT = "China deported 600 North Koreans in 2023."
#        0    5        14  18            32 35  39


def gold() -> Document:
    ents = [Entity(1, 0, 5, "ACTOR"), Entity(2, 6, 14, "EVENT", "repatriation"), Entity(3, 15, 18, "NUMBER"),
            Entity(4, 19, 32, "ACTOR"), Entity(5, 36, 40, "DATE")]
    rels = [Relation(1, 2, 1, "agent"), Relation(2, 2, 4, "affected"), Relation(3, 3, 4, "quantity"),
            Relation(4, 2, 5, "time")]
    return Document("d", TEXT, entities=ents, relations=rels)


def test_a_perfect_prediction_scores_one():
    g = gold()
    by_id = g.entity_by_id()
    pred = Prediction([(e.start, e.end, e.label, e.event_type) for e in g.entities],
                      [((by_id[r.from_id].start, by_id[r.from_id].end), (by_id[r.to_id].start, by_id[r.to_id].end),
                        r.type) for r in g.relations])
    s = score_document(g, pred).summary()
    assert s["ents_strict"]["f"] == 1.0 and s["relations"]["f"] == 1.0 and s["event_type_accuracy"] == 1.0


def test_boundary_errors_count_for_overlap_but_not_strict_and_break_relations():
    g = gold()
    pred = Prediction(
        [(0, 5, "ACTOR", None), (6, 14, "EVENT", "flight"),   # wrong event type
         (19, 26, "ACTOR", None),                             # "North" only: overlap, not strict
         (36, 40, "LOCATION", None)],                         # wrong label
        [((6, 14), (0, 5), "agent"), ((6, 14), (19, 26), "affected"), ((6, 14), (0, 5), "time")])
    s = score_document(g, pred).summary()
    assert s["per_label_strict"]["ACTOR"] == {"p": 0.5, "r": 0.5, "f": 0.5, "tp": 1, "fp": 1, "fn": 1}
    assert s["per_label_overlap"]["ACTOR"]["tp"] == 2
    assert s["per_label_strict"]["DATE"]["fn"] == 1 and s["per_label_strict"]["LOCATION"]["fp"] == 1
    assert s["per_label_strict"]["NUMBER"]["fn"] == 1
    assert s["event_type_accuracy"] == 0.0 and s["event_type_n"] == 1
    assert s["relations"]["tp"] == 1 and s["relations"]["fp"] == 2 and s["relations"]["fn"] == 3
    assert s["per_relation"]["agent"]["tp"] == 1 and s["per_relation"]["affected"]["tp"] == 0


def _report(systems: dict) -> dict:
    row = {"ents_strict": {"p": 0.8, "r": 0.7, "f": 0.75}, "per_label_strict": {"ACTOR": {"f": 0.7}},
           "event_type_accuracy": 0.9, "relations": {"f": 0.4}, "per_relation": {"agent": {"f": 0.3}}}
    return {"date": "2026-11-23", "systems": {name: dict(row) for name in systems}}


def test_add_to_report_keeps_the_other_rows(tmp_path):
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(_report(["nkner (smner)", "rules only"])))
    merged = add_to_report(path, _report(["nkner (trf)"]))
    assert list(merged["systems"]) == ["nkner (smner)", "rules only", "nkner (trf)"]
    assert add_to_report(tmp_path / "missing.json", {"systems": {}}) == {"systems": {}}


def test_lodo_scores_come_from_the_report_for_that_backbone_only(tmp_path):
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(_report(["nkner (smner)"])))
    got = lodo_scores("smner", path)
    assert got["ents_f"] == 0.75 and got["relations_f"] == 0.4 and got["ents_per_type_f"] == {"ACTOR": 0.7}
    assert lodo_scores("sm", path) is None
    assert lodo_scores("smner", tmp_path / "missing.json") is None

"""The rules-only baseline (training/baseline.py): patterns, roles and proximity relations."""
from __future__ import annotations

from nkner.corpus.store import Document
from nkner.training.baseline import rules_predictor


def test_rules_only_baseline_predicts_entities_types_and_relations():
    text = "In October 2023 China deported an estimated 600 refugees to North Korea."
    pred, _ = rules_predictor()(Document("t", text, {}, [], [], {}))
    ents = {text[s:e]: (label, etype) for s, e, label, etype in pred.entities}
    assert ents["October 2023"] == ("DATE", None)
    assert ents["China"] == ("ACTOR", None)
    assert ents["deported"] == ("EVENT", "repatriation")
    assert ents["estimated 600"] == ("NUMBER", None)   # the shared qualifiers, the article left outside
    assert ents["North Korea"] == ("LOCATION", None)   # a country after "to" is a place
    rels = {(text[h[0]:h[1]], text[t[0]:t[1]], r) for h, t, r in pred.relations}
    assert {("deported", "China", "agent"), ("deported", "refugees", "affected"),
            ("deported", "October 2023", "time"), ("deported", "North Korea", "place"),
            ("estimated 600", "refugees", "quantity")} <= rels

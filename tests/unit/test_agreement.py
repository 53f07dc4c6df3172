"""Inter-annotator agreement: span F1 and token-level Cohen's kappa (no server needed)."""
from __future__ import annotations

import random

import pytest
from sklearn.metrics import cohen_kappa_score

from nkner.corpus.store import Document, Entity
from nkner.doccano.agreement import ALL, agreement, cohen_kappa, pair_agreement, render

TEXT = "Chinese police arrested 20 North Koreans in Yanji in 2019."


def span(text: str, surface: str, label: str, event_type: str | None = None, i: int = 0) -> Entity:
    start = text.index(surface)
    return Entity(i, start, start + len(surface), label, event_type)


def version(*entities: Entity, doc_id: str = "d1", text: str = TEXT) -> Document:
    return Document(doc_id, text, {}, list(entities), [], {})


FULL = (span(TEXT, "Chinese police", "ACTOR"), span(TEXT, "arrested", "EVENT", "detention"),
        span(TEXT, "20", "NUMBER"), span(TEXT, "North Koreans", "ACTOR"), span(TEXT, "Yanji", "LOCATION"),
        span(TEXT, "2019", "DATE"))


def rows(pair) -> dict:
    return {row.label: row for row in pair.labels}


@pytest.mark.parametrize("seed", range(5))
def test_kappa_matches_scikit_learn(seed):
    rng = random.Random(seed)
    a = [rng.choice("OAB") for _ in range(200)]
    b = [x if rng.random() < 0.7 else rng.choice("OAB") for x in a]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_kappa_undefined_when_both_constant():
    assert cohen_kappa(["O"] * 5, ["O"] * 5) is None
    assert cohen_kappa([], []) is None


def test_kappa_needs_equal_lengths():
    with pytest.raises(ValueError, match="equal length"):
        cohen_kappa(["O"], ["O", "O"])


def test_identical_versions_agree_perfectly():
    r = rows(pair_agreement("alice", "bob", [(version(*FULL), version(*FULL))]))
    assert r[ALL].f1 == 1.0 and r[ALL].kappa == pytest.approx(1.0)
    assert r["ACTOR"].matched == 2 and r["ACTOR"].f1 == 1.0
    assert r["LEGAL_INSTRUMENT"].f1 is None and r["LEGAL_INSTRUMENT"].kappa is None  # nobody used it


def test_event_type_disagreement_is_a_mismatch():
    other = [e if e.label != "EVENT" else span(TEXT, "arrested", "EVENT", "abuse") for e in FULL]
    r = rows(pair_agreement("alice", "bob", [(version(*FULL), version(*other))]))
    assert r["EVENT"].f1 == 0.0
    assert r["EVENT"].kappa == pytest.approx(1.0)  # same tokens marked EVENT
    assert r[ALL].f1 == pytest.approx(10 / 12)
    assert r[ALL].kappa < 1.0  # the "all labels" tags include the event type


def test_boundary_disagreement_lowers_f1_and_kappa():
    other = [e if e.label != "ACTOR" or "police" not in TEXT[e.start:e.end] else span(TEXT, "police", "ACTOR")
             for e in FULL]
    r = rows(pair_agreement("alice", "bob", [(version(*FULL), version(*other))]))
    assert r["ACTOR"].matched == 1 and r["ACTOR"].f1 == pytest.approx(0.5)
    tokens = ["Chinese", "police", "arrested", "20", "North", "Koreans", "in", "Yanji", "in", "2019", "."]
    a = ["A", "A", "O", "O", "A", "A", "O", "O", "O", "O", "O"]
    b = ["O", "A", "O", "O", "A", "A", "O", "O", "O", "O", "O"]
    assert len(tokens) == len(a)
    assert r["ACTOR"].kappa == pytest.approx(cohen_kappa_score(a, b))


def test_missing_spans_count_against_f1():
    r = rows(pair_agreement("alice", "bob", [(version(*FULL), version(*FULL[:3]))]))
    assert (r[ALL].spans_a, r[ALL].spans_b, r[ALL].matched) == (6, 3, 3)
    assert r[ALL].f1 == pytest.approx(6 / 9)


def test_agreement_pools_documents_per_pair():
    text2 = "Thousands fled in 1997."
    fled = (span(text2, "Thousands", "NUMBER"), span(text2, "fled", "EVENT", "flight"), span(text2, "1997", "DATE"))
    versions = {
        "d1": {"alice": version(*FULL), "bob": version(*FULL), "carol": version(*FULL[:2])},
        "d2": {"alice": version(*fled, doc_id="d2", text=text2), "bob": version(*fled[:2], doc_id="d2", text=text2)},
    }
    pairs = {(p.annotator_a, p.annotator_b): p for p in agreement(versions)}
    assert set(pairs) == {("alice", "bob"), ("alice", "carol"), ("bob", "carol")}
    assert pairs[("alice", "bob")].documents == ["d1", "d2"]
    assert pairs[("alice", "carol")].documents == ["d1"]
    r = rows(pairs[("alice", "bob")])
    assert (r[ALL].spans_a, r[ALL].spans_b, r[ALL].matched) == (9, 8, 8)
    assert r["DATE"].f1 == pytest.approx(2 / 3)


def test_render_lists_every_label_of_every_pair():
    text = render(agreement({"d1": {"alice": version(*FULL), "bob": version(*FULL[:3])}}))
    assert "Agreement alice vs bob on 1 document(s): d1" in text
    for label in ("ACTOR", "LEGAL_INSTRUMENT", "NUMBER", "EVENT", "DATE", "LOCATION", ALL):
        assert f"  {label}" in text
    assert "n/a" in text  # LEGAL_INSTRUMENT used by nobody

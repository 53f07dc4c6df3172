"""The grouping at scale (docs/grouping.md, "Scale"): the sparse grouping gives the same groups as
the full pairwise matrix did, and the candidate filter keeps every pair that reaches the threshold.

The reference below is the grouping as it was before blocking (every pair scored, average linkage
over the full matrix), kept here as the definition the fast code must match."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from nkner.factbase import blocking
from nkner.factbase import grouping as G
from nkner.factbase.synth import shift_iso, synthesize_facts

ROOT = Path(__file__).resolve().parents[2]


def reference_cluster(facts: list[dict], threshold: float) -> list[tuple[list[int], float]]:
    """Average linkage over the full matrix of pair scores (the grouping before blocking)."""
    n = len(facts)
    S = np.zeros((n, n))
    C = np.zeros((n, n))
    block = np.zeros((n, n), dtype=bool)
    prepared = [G.prepare(f) for f in facts]
    for i in range(n):
        for j in range(i + 1, n):
            if facts[i]["report_id"] == facts[j]["report_id"]:
                continue
            feats = G.prepared_features(prepared[i], prepared[j])
            if feats["incompatible"]:
                block[i, j] = block[j, i] = True
                continue
            S[i, j] = S[j, i] = G.score_features(feats)
            C[i, j] = C[j, i] = 1
    members = {i: [i] for i in range(n)}
    low = {i: 1.0 for i in range(n)}
    alive = np.ones(n, dtype=bool)
    while True:
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.where((C > 0) & ~block, S / np.where(C > 0, C, 1), -1.0)
        avg[~alive, :] = -1.0
        avg[:, ~alive] = -1.0
        np.fill_diagonal(avg, -1.0)
        best = float(avg.max()) if n else -1.0
        if best < threshold or best < 0:
            break
        i, j = (int(x) for x in np.unravel_index(int(np.argmax(avg)), avg.shape))
        i, j = min(i, j), max(i, j)
        S[i, :] += S[j, :]
        S[:, i] += S[:, j]
        C[i, :] += C[j, :]
        C[:, i] += C[:, j]
        block[i, :] |= block[j, :]
        block[:, i] |= block[:, j]
        S[i, i] = C[i, i] = 0
        alive[j] = False
        S[j, :] = S[:, j] = C[j, :] = C[:, j] = 0
        members[i] = sorted(members[i] + members.pop(j))
        low[i] = min(low[i], low.pop(j), best)
    return [(members[i], round(low[i], 6)) for i in sorted(members)]


@pytest.fixture(scope="module")
def real_facts() -> list[dict]:
    """Real fact records: the labelled pair set's facts (94 reports, with their report dates) and
    the golden extraction output's (six long reports, undated), sentences cut from the corpus."""
    facts = {}
    for line in (ROOT / "annotations/fact-pairs/pairs.jsonl").read_text("utf-8").splitlines():
        p = json.loads(line)
        for f in (p["a"], p["b"]):
            facts[f["fact_id"]] = f
    for line in (ROOT / "tests/golden/extract.jsonl").read_text("utf-8").splitlines():
        result = json.loads(line)
        text = (ROOT / result["source"]).read_text("utf-8")
        for f in G.fact_records(result, text=text):
            facts[f["fact_id"]] = f
    return sorted(facts.values(), key=lambda f: f["fact_id"])


def by_type(facts):
    out: dict[str, list[dict]] = {}
    for f in sorted(facts, key=lambda f: f["fact_id"]):
        out.setdefault(f["event_type"], []).append(f)
    return out


@pytest.mark.parametrize("threshold", [G.DEFAULT_THRESHOLD, 0.3, 0.8, 0.0])
def test_same_groups_as_the_full_matrix_on_real_facts(real_facts, threshold):
    merged = 0
    for event_type, facts in by_type(real_facts).items():
        got = G._cluster(facts, threshold, G.score_features)
        assert got == reference_cluster(facts, threshold), event_type
        merged += sum(len(m) > 1 for m, _ in got)
    assert merged > 5          # the comparison is about real merges, not only singletons


@pytest.mark.parametrize("event_type, n, threshold", [("repatriation", 1200, G.DEFAULT_THRESHOLD),
                                                      ("abuse", 1000, 0.45)])
def test_same_groups_as_the_full_matrix_on_many_reports(real_facts, event_type, n, threshold):
    facts = sorted(synthesize_facts(by_type(real_facts)[event_type], n, seed=3), key=lambda f: f["fact_id"])
    got = G._cluster(facts, threshold, G.score_features)
    assert got == reference_cluster(facts, threshold)
    assert max(len(m) for m, _ in got) >= 5


def _pairs_at_or_above(prepared, reports, threshold):
    out = set()
    for i in range(len(prepared)):
        for j in range(i + 1, len(prepared)):
            if reports[i] != reports[j] and G.score_features(G.prepared_features(prepared[i], prepared[j])) >= threshold:
                out.add((i, j))
    return out


@pytest.mark.parametrize("threshold", [G.DEFAULT_THRESHOLD, 0.2, 0.9])
def test_candidates_hold_every_pair_that_reaches_the_threshold(real_facts, threshold):
    facts = real_facts + synthesize_facts(by_type(real_facts)["repatriation"], 800, seed=5)
    scored = 0
    for event_type, group in by_type(facts).items():
        prepared = [G.prepare(f) for f in group]
        reports = [f["report_id"] for f in group]
        want = _pairs_at_or_above(prepared, reports, threshold)
        stats: dict = {}
        got = {(min(i, j), max(i, j)) for I, J in blocking.candidate_pairs(prepared, reports, threshold, stats=stats)
               for i, j in zip(I.tolist(), J.tolist())}
        assert want <= got, (event_type, sorted(want - got)[:5])
        assert all(reports[i] != reports[j] for i, j in got)
        scored += len(want)
        # the filter does its job: far fewer candidates than pairs
        if len(group) > 300:
            assert len(got) < len(group) * (len(group) - 1) / 2 / 20, event_type
    assert scored > 50


def test_bound_is_never_below_the_score(real_facts):
    """The vectorized bound mirrors the features: a change to a feature that the bound misses fails here."""
    facts = by_type(real_facts + synthesize_facts(real_facts, 600, seed=7))
    m = blocking._Model(G.MODEL)
    checked = 0
    for group in facts.values():
        prepared = [G.prepare(f) for f in group]
        data = blocking._Facts(prepared, [f["report_id"] for f in group])
        I, J = np.triu_indices(len(group), 1)
        bound = blocking.pair_bounds(data, m, I, J)
        for i, j, b in zip(I.tolist(), J.tolist(), bound.tolist()):
            feats = G.prepared_features(prepared[i], prepared[j])
            if feats["incompatible"]:
                continue
            z = G.MODEL["intercept"] + sum(G.MODEL["weights"][f] * x for f, x in zip(G.FEATURES, G.feature_vector(feats)))
            assert b >= z - 1e-9, (group[i]["fact_id"], group[j]["fact_id"], b, z)
            checked += 1
    assert checked > 10_000


def test_another_score_compares_every_pair():
    """A score other than the committed model has no bound: every pair is a candidate."""
    a = {"fact_id": "a:1", "report_id": "a", "event_type": "flight", "time": [], "places": [], "agents": [],
         "affected": [], "figures": [], "sentence": "alpha"}
    b = dict(a, fact_id="b:1", report_id="b", sentence="omega")
    assert [g["fact_ids"] for g in G.group_facts([a, b], score=lambda feats: 1.0)] == [["a:1", "b:1"]]
    assert len(G.group_facts([a, b])) == 2


def test_synthesized_facts_spread_over_years_and_keep_their_shape(real_facts):
    source = by_type(real_facts)["repatriation"]
    facts = synthesize_facts(source, 2000, seed=1)
    assert len(facts) == 2000 and len({f["fact_id"] for f in facts}) == 2000
    assert facts == synthesize_facts(source, 2000, seed=1)
    years = {int(f["report_date"][:4]) for f in facts if f["report_date"]}
    assert len(years) >= 20 and min(years) >= 1999 and max(years) <= 2027
    reports = {f["report_id"] for f in facts}
    assert len(reports) < 1000                      # reports of several facts, as the real ones
    real = {f["fact_id"]: f for f in source}
    moved = 0
    for f in facts:
        r = real[f"{f['source'].rsplit('/', 1)[1]}:{f['fact_id'].split(':', 1)[1]}"]
        assert f["event_type"] == r["event_type"] and f["figures"] == r["figures"] and f["places"] == r["places"]
        own = {w for w in f["sentence"].split() if not re.fullmatch(r"[sr]\d+w\d+", w)}
        assert own <= set(r["sentence"].split())
        # times move with their report: the real gap between a fact's time and its report's date stays
        if f["time"] and f["report_date"] and r["report_date"]:
            shift = int(f["report_date"][:4]) - int(r["report_date"][:4])
            assert int(f["time"][0][:4]) - int(r["time"][0][:4]) in (shift - 1, shift), (f, r)
            moved += 1
    assert moved > 20
    assert shift_iso("2023-10-09", 2) == "2025-10-09" and shift_iso("2024-02-29", 1) == "2025-02-28"
    assert shift_iso("1990/1999", -5) == "1985/1994" and shift_iso("2020/..", 3) == "2023/.."
    assert shift_iso("2020-W53", 1) == "2021-W52" and shift_iso("P5Y", 3) == "P5Y"

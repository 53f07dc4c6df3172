"""Candidate pairs for the grouping: every pair of facts of one event type that *can* score at or
above the threshold, found without scoring every pair (docs/grouping.md, "Scale").

The pair score is a logistic model, ``z = intercept + sum(w_f * x_f)``, and a pair reaches the
threshold t only if ``z >= logit(t)``.  Each feature's contribution is bounded from what the two
facts have (a side without a time, a report date, a figure, places or agents contributes exactly
``w * MISSING_VALUE``; two sides with them at most ``max(0, w)``) and, for the report feature, from
how far apart the report dates are.  So for a fact and a band of report-date distances we know the
most its pairs can reach without their sentences' words, hence the least Jaccard of content words
(``t_a``) any of its pairs in that band needs.  The filter is **exact**: it yields a superset of the
pairs with ``score >= t`` (the caller scores each candidate with the real score).  Its parts:

* **word joins** by prefix filtering (as in AllPairs/PPJoin): words ordered rarest first, a fact
  indexes only the first ``|a| - ceil(t_a |a|) + 1`` of its words, and two facts with Jaccard at
  least ``max(t_a, t_b)`` share a word of both prefixes.  One join per band, each a sweep over
  report dates where the band bounds their distance: at most :data:`NEAR_DAYS` apart, at most
  ``REPORT_HORIZON_DAYS``, any distance (the report feature is then 0, so ``t_a`` is high), and
  pairs with an undated report (the report feature is ``MISSING_VALUE``); report dates known only
  to the year join the first two bands through their own, wider, sweeps.  No ``t_a`` is below
  :data:`TEXT_FLOOR`;
* a **strong-fact sweep**: a pair the word joins miss has a Jaccard under TEXT_FLOOR (or cannot
  reach the threshold), so its other features must reach ``logit(t) - w_text * TEXT_FLOOR``; only
  facts whose profile allows that (under the committed model: facts with a time or a figure)
  take part, compared with each other directly, vectorized;
* every candidate then goes through a vectorized upper bound of z (:func:`pair_bounds`: report,
  figure and time features and the Jaccard as the score computes them; place and agent at their
  best), and only those that can reach the threshold are returned.

With a score other than the committed model's, a text weight that is not positive, or a threshold
at or below 0, no bound applies and every pair is a candidate (:func:`all_pairs`).
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np
from scipy import sparse

from nkner.factbase import grouping as G

__all__ = ["NEAR_DAYS", "TEXT_FLOOR", "all_pairs", "candidate_pairs", "pair_bounds"]

NEAR_DAYS = 200       # report dates at most this far apart: the near band of the word join
TEXT_FLOOR = 0.2      # the least Jaccard the word join looks for (the rest: the strong-fact sweep)
NARROW_DAYS = 31      # a report date known to a month or better takes part in the near band
CHUNK = 400_000       # candidate pairs bounded at once
_Z_SLACK = 1e-6       # z is compared with this much room (float rounding)
_ROUNDING = 5e-7      # features rounded to 6 places can be this much above their exact value

# profile bits of a fact: what its pairs' features can be
_T, _D, _N, _F, _P, _A, _W = (1 << k for k in range(7))
_NCLS = 1 << 7


def _ub(w: float, lo: float, hi: float) -> float:
    return max(w * lo, w * hi)


class _Facts:
    """The per-fact arrays the bounds read, from prepared facts (grouping.prepare)."""

    def __init__(self, prepared: list[dict], report_ids: list[str]):
        n = len(prepared)
        self.n = n
        _, self.report = np.unique(np.array(report_ids, dtype=object), return_inverse=True)
        self.timed = np.zeros(n, bool)
        self.multi = np.zeros(n, bool)
        self.t0 = np.zeros(n, np.int64)
        self.t1 = np.zeros(n, np.int64)
        self.dated = np.zeros(n, bool)
        self.r0 = np.zeros(n, np.int64)
        self.r1 = np.zeros(n, np.int64)
        self.fig = np.zeros(n, bool)
        self.flo = np.zeros(n)
        self.fhi = np.zeros(n)
        self.fabs = np.zeros(n)
        self.place = np.zeros(n, bool)
        self.agent = np.zeros(n, bool)
        vocab: dict[str, int] = {}
        rows, cols = [], []
        for i, p in enumerate(prepared):
            ivs = p["intervals"]
            if ivs:
                self.timed[i] = True
                self.multi[i] = len(ivs) > 1
                self.t0[i], self.t1[i] = ivs[0][0].toordinal(), ivs[0][1].toordinal()
            if p["report"] is not None:
                self.dated[i] = True
                self.r0[i], self.r1[i] = p["report"][0].toordinal(), p["report"][1].toordinal()
            h = p["headline"]
            if h is not None:
                self.fig[i] = True
                self.flo[i], self.fhi[i] = G.figure_interval(h)
                self.fabs[i] = abs(float(h["value"]))
            self.place[i] = bool(p["places"])
            self.agent[i] = bool(p["agents"])
            for w in p["words"]:
                rows.append(i)
                cols.append(vocab.setdefault(w, len(vocab)))
        self.narrow = self.dated & (self.r1 - self.r0 < NARROW_DAYS)
        X = sparse.csr_matrix((np.ones(len(rows), np.float32), (np.array(rows, np.int64), np.array(cols, np.int64))),
                              shape=(n, max(len(vocab), 1)))
        X.sum_duplicates()
        self.X = X
        self.nwords = np.diff(X.indptr).astype(np.int64)
        self.cls = (self.timed * _T | self.dated * _D | self.narrow * _N | self.fig * _F | self.place * _P
                    | self.agent * _A | (self.nwords > 0) * _W).astype(np.int64)


class _Model:
    def __init__(self, model: dict):
        self.b = float(model["intercept"])
        self.w = {f: float(model["weights"][f]) for f in G.FEATURES}


def _nt_class(m: _Model, ca: int, cb: int, report: tuple[float, float]) -> float:
    """The most a pair of facts of profile classes ``ca`` and ``cb`` can reach without the text
    feature, their report feature (when both are dated) lying in ``report``."""
    both = ca & cb
    mv = G.MISSING_VALUE
    z = m.b
    z += _ub(m.w["time"], 0, 1) if both & _T else m.w["time"] * mv
    z += _ub(m.w["report"], *report) if both & _D else m.w["report"] * mv
    for f, bit in (("place", _P), ("agent", _A), ("figures", _F)):
        z += _ub(m.w[f], 0, 1) if both & bit else m.w[f] * mv
    return z


def pair_bounds(facts: _Facts, m: _Model, I: np.ndarray, J: np.ndarray, text: str = "exact",
                text_cap: float = 1.0, limit: float | None = None) -> np.ndarray:
    """An upper bound of z for the pairs (I, J), -inf where the times are incompatible (single
    periods more than MAX_GAP_DAYS apart).  ``text``: ``exact`` (the Jaccard of the words) or
    ``cap`` (Jaccard at most ``text_cap``, 0 where a side has no words).  With ``limit``, only
    whether the bound reaches it is exact: below it the bound may be looser (the shared words are
    counted only where the sets' sizes leave the answer open)."""
    mv = G.MISSING_VALUE
    z = np.full(len(I), m.b)
    # time: exact for single periods, the best possible where a fact has several
    both = facts.timed[I] & facts.timed[J]
    wt = m.w["time"]
    x = np.full(len(I), mv)
    gap = np.maximum(np.maximum(facts.t0[J] - facts.t1[I], facts.t0[I] - facts.t1[J]), 0)
    wider = np.maximum(facts.t1[I] - facts.t0[I], facts.t1[J] - facts.t0[J]) + 1
    prec = np.select([wider <= most for most, _ in G.PRECISION], [v for _, v in G.PRECISION], G.PRECISION_ELSE)
    sim = np.where(gap == 0, prec, prec * G.DISJOINT_SHARE * (1 - gap / (G.MAX_GAP_DAYS + 1)))
    x = np.where(both, sim, x)
    multi = both & (facts.multi[I] | facts.multi[J])
    contrib = wt * x
    contrib = np.where(multi, _ub(wt, 0, 1), contrib)
    z += contrib
    incompatible = both & ~multi & (gap > G.MAX_GAP_DAYS)
    # report dates: exact
    bothd = facts.dated[I] & facts.dated[J]
    rgap = np.maximum(np.maximum(facts.r0[J] - facts.r1[I], facts.r0[I] - facts.r1[J]), 0)
    span = G.REPORT_HORIZON_DAYS - G.REPORT_SAME_DAYS
    r = np.where(rgap <= G.REPORT_SAME_DAYS, 1.0, np.maximum(0.0, 1 - (rgap - G.REPORT_SAME_DAYS) / span))
    z += m.w["report"] * np.where(bothd, r, mv)
    # places and agents: at their best when both sides have them
    for f, arr in (("place", facts.place), ("agent", facts.agent)):
        z += np.where(arr[I] & arr[J], _ub(m.w[f], 0, 1), m.w[f] * mv)
    # headline figures: compatible within their qualifiers, else smaller / larger
    bothf = facts.fig[I] & facts.fig[J]
    compat = np.maximum(facts.flo[I], facts.flo[J]) <= np.minimum(facts.fhi[I], facts.fhi[J]) * (1 + G.COMPATIBLE_SLACK)
    lo, hi = np.minimum(facts.fabs[I], facts.fabs[J]), np.maximum(facts.fabs[I], facts.fabs[J])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(hi > 0, lo / np.where(hi > 0, hi, 1) + _ROUNDING, 0.0)   # the feature is rounded
    z += m.w["figures"] * np.where(bothf, np.where(compat, 1.0, ratio), mv)
    z = np.where(incompatible, -np.inf, z)
    # words
    wj = m.w["text"]
    na, nb = facts.nwords[I], facts.nwords[J]
    has = (na > 0) & (nb > 0)
    if text == "cap":
        return z + np.where(has, _ub(wj, 0, text_cap), 0.0)
    # the Jaccard is at most the smaller set's size over the larger's; count the shared words only
    # where even that could matter
    size_cap = np.where(has, np.minimum(na, nb) / np.maximum(np.maximum(na, nb), 1), 0.0)
    out = z + np.maximum(wj * size_cap, 0.0)
    todo = np.flatnonzero(has & (out >= limit) & (z + np.minimum(wj * size_cap, 0.0) < limit)) \
        if limit is not None else np.flatnonzero(has)
    if len(todo):
        a, b = I[todo], J[todo]
        inter = np.asarray(facts.X[a].multiply(facts.X[b]).sum(axis=1)).ravel()
        out[todo] = z[todo] + wj * (inter / (na[todo] + nb[todo] - inter))
    return out


def all_pairs(report_ids: list[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair of facts of different reports, one fact's earlier partners at a time."""
    _, report = np.unique(np.array(report_ids, dtype=object), return_inverse=True)
    for a in range(1, len(report_ids)):
        J = np.flatnonzero(report[:a] != report[a])
        yield np.full(len(J), a, np.int64), J


def _slices_to_pairs(probe: np.ndarray, lo: np.ndarray, hi: np.ndarray, partners: np.ndarray):
    """(probe[k], partners[lo[k]:hi[k]]) for every k, as two flat arrays."""
    counts = hi - lo
    keep = counts > 0
    probe, lo, counts = probe[keep], lo[keep], counts[keep]
    total = int(counts.sum())
    if not total:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    idx = starts + np.arange(total)
    return np.repeat(probe, counts), partners[idx]


def _word_join(facts: _Facts, rank: np.ndarray, thresholds: np.ndarray, members: np.ndarray,
               window: int | None = None, pivot: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs of ``members`` sharing a token of both prefixes (each fact's prefix from its needed
    Jaccard in ``thresholds``).  ``window``: only pairs whose report dates start at most that many
    days apart; ``pivot`` (a mask over facts): only pairs with at least one pivot.  Yields (probe,
    partner) chunks, each probe's partners in one chunk."""
    X = facts.X
    ent_rec, ent_tok = [], []
    for a in members.tolist():
        toks = X.indices[X.indptr[a]:X.indptr[a + 1]]
        if not len(toks) or thresholds[a] > 1:
            continue
        toks = toks[np.argsort(rank[toks], kind="stable")]
        size = len(toks)
        prefix = min(max(size - math.ceil(thresholds[a] * size - 1e-9) + 1, 1), size)
        ent_rec.append(np.full(prefix, a, np.int64))
        ent_tok.append(rank[toks[:prefix]].astype(np.int64))
    if not ent_rec:
        return
    rec = np.concatenate(ent_rec)
    tok = np.concatenate(ent_tok)
    side = np.zeros(len(rec), np.int64) if pivot is None else (~pivot[rec]).astype(np.int64)   # pivots first
    when = facts.r0[rec] if window is not None else np.zeros(len(rec), np.int64)
    order = np.lexsort((rec, when, side, tok))
    rec_s = rec[order]
    pos = np.empty(len(order), np.int64)
    pos[order] = np.arange(len(order))
    base = int(when.min())
    span = int(when.max()) - base + 2 * (window or 0) + 1
    key = (tok[order] * 2 + side[order]) * span + (when[order] - base)   # sorted
    group = (tok * 2) * span                                            # start of a token's pivots
    margin = window or 0
    # a pivot (or any fact without pivots) pairs with the pivots before it in its token's list,
    # a non-pivot with every pivot of its token; both within the window
    lo = np.searchsorted(key, group + (when - base - margin if window is not None else 0), side="left")
    if pivot is None:
        hi = pos
    else:
        end = np.searchsorted(key, group + span - 1 if window is None else group + (when - base + margin),
                              side="right")
        hi = np.where(side == 0, pos, end)
    lo = np.maximum(lo, np.searchsorted(key, group, side="left"))
    counts = np.maximum(hi - lo, 0)
    # chunks of whole probes (entries come in probe order), so that each probe's pairs are deduplicated at once
    starts = np.flatnonzero(np.r_[True, rec[1:] != rec[:-1]])
    cum = np.cumsum(np.add.reduceat(counts, starts))
    cuts = np.r_[0, np.flatnonzero(np.diff(cum // CHUNK)) + 1, len(starts)]
    for c0, c1 in zip(cuts[:-1], cuts[1:]):
        if c1 <= c0:
            continue
        e0 = starts[c0]
        e1 = starts[c1] if c1 < len(starts) else len(rec)
        P, Q = _slices_to_pairs(rec[e0:e1], lo[e0:e1], np.maximum(hi[e0:e1], lo[e0:e1]), rec_s)
        if len(P):
            code = np.unique(np.minimum(P, Q) * facts.n + np.maximum(P, Q))
            yield code // facts.n, code % facts.n


def _strong_sweep(facts: _Facts, m: _Model, strong: np.ndarray, class_ok: np.ndarray, limit: float,
                  text_cap: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs of strong facts whose bound (text at most ``text_cap``) reaches ``limit``."""
    by_class = {c: strong[facts.cls[strong] == c] for c in np.unique(facts.cls[strong]).tolist()}
    bufP, bufQ, size = [], [], 0
    for a in strong.tolist():
        ca = int(facts.cls[a])
        parts = [idx[:np.searchsorted(idx, a)] for c, idx in by_class.items() if class_ok[ca, c]]
        parts = [p for p in parts if len(p)]
        if not parts:
            continue
        Q = np.concatenate(parts)
        P = np.full(len(Q), a, np.int64)
        keep = pair_bounds(facts, m, P, Q, text="cap", text_cap=text_cap) >= limit
        if keep.any():
            bufP.append(P[keep])
            bufQ.append(Q[keep])
            size += int(keep.sum())
        if size >= CHUNK:
            yield np.concatenate(bufP), np.concatenate(bufQ)
            bufP, bufQ, size = [], [], 0
    if bufP:
        yield np.concatenate(bufP), np.concatenate(bufQ)


def candidate_pairs(prepared: list[dict], report_ids: list[str], threshold: float,
                    model: dict | None = None, stats: dict | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Chunks (I, J) of candidate pairs (indices into ``prepared``, facts of different reports): a
    superset of the pairs whose ``score_features`` under ``model`` (default: the committed MODEL) is at
    least ``threshold`` (module docstring).  A pair may come twice.  ``stats`` (a dict) receives
    counts of what each stage kept."""
    model = G.MODEL if model is None else model
    stats = {} if stats is None else stats
    n = len(prepared)
    facts = _Facts(prepared, report_ids)
    m = _Model(model)
    p = threshold - 1e-6          # round(sigmoid(z), 6) >= threshold needs sigmoid(z) >= this
    if p >= 1:
        return
    if p <= 0 or m.w["text"] <= 0:
        stats["all_pairs"] = n * (n - 1) // 2
        yield from all_pairs(report_ids)
        return
    limit = math.log(p / (1 - p)) - _Z_SLACK
    wj = m.w["text"]
    classes = np.unique(facts.cls).tolist()
    present = np.zeros(_NCLS, bool)
    present[classes] = True

    def need(report: tuple[float, float], partners: np.ndarray, pivots: np.ndarray | None = None) -> np.ndarray:
        """Per fact, the least Jaccard its pairs in a band need (report feature in ``report`` for dated
        pairs; partners of the classes in ``partners``, or, for a fact not of ``pivots``, of those)."""
        out = np.full(_NCLS, np.inf)
        for ca in classes:
            allowed = partners if pivots is None or pivots[ca] else pivots
            cbs = [cb for cb in classes if allowed[cb] and cb & _W]
            if cbs and ca & _W:
                best = max(_nt_class(m, ca, cb, report) for cb in cbs)
                out[ca] = max((limit - best) / wj, TEXT_FLOOR)
        return out[facts.cls]

    cls_of = np.arange(_NCLS)
    narrow_c = ((cls_of & _N) > 0) & present
    dated_c = ((cls_of & _D) > 0) & present
    wide_c = dated_c & ~narrow_c
    undated_c = present & ~dated_c
    r = G.report_similarity
    width = int((facts.r1 - facts.r0)[facts.dated & ~facts.narrow].max(initial=0)) + 1
    narrow = np.flatnonzero(facts.narrow)
    dated = np.flatnonzero(facts.dated)
    wide = facts.dated & ~facts.narrow
    df = np.diff(facts.X.tocsc().indptr)               # facts holding each word
    rank = np.empty(len(df), np.int64)
    rank[np.lexsort((np.arange(len(df)), df))] = np.arange(len(df))   # rarest first

    def bounded(chunks, label):
        for I, J in chunks:
            stats[label] = stats.get(label, 0) + len(I)
            keep = facts.report[I] != facts.report[J]
            I, J = I[keep], J[keep]
            for s in range(0, len(I), CHUNK):
                a, b = I[s:s + CHUNK], J[s:s + CHUNK]
                ok = pair_bounds(facts, m, a, b, limit=limit) >= limit
                stats[label + "_bounded"] = stats.get(label + "_bounded", 0) + int(ok.sum())
                if ok.any():
                    yield a[ok], b[ok]

    # 1. word joins, by report dates: near (at most NEAR_DAYS apart), middle (at most
    # REPORT_HORIZON_DAYS), far (further: the report feature is 0), and pairs with an undated report
    near, mid = (r(NEAR_DAYS), 1.0), (r(G.REPORT_HORIZON_DAYS), r(NEAR_DAYS + 1))
    joins = [
        ("near", narrow, need(near, narrow_c), NEAR_DAYS + NARROW_DAYS, None),
        ("near_wide", dated, need(near, dated_c, wide_c), NEAR_DAYS + width, wide),
        ("mid", narrow, need(mid, narrow_c), G.REPORT_HORIZON_DAYS + NARROW_DAYS, None),
        ("mid_wide", dated, need(mid, dated_c, wide_c), G.REPORT_HORIZON_DAYS + width, wide),
        ("far", dated, need((0.0, r(G.REPORT_HORIZON_DAYS + 1)), dated_c), None, None),
        ("undated", np.arange(n), need((G.MISSING_VALUE, G.MISSING_VALUE), present, undated_c), None, ~facts.dated),
    ]
    for label, members, thresholds, window, pivot in joins:
        if pivot is not None and not pivot.any():
            continue
        yield from bounded(_word_join(facts, rank, thresholds, members, window, pivot), label)
    # 2. strong facts: those whose pairs can reach the threshold with a Jaccard under TEXT_FLOOR
    class_ok = np.zeros((_NCLS, _NCLS), bool)
    for ca in classes:
        for cb in classes:
            text = _ub(wj, 0, TEXT_FLOOR) if ca & cb & _W else 0.0
            class_ok[ca, cb] = _nt_class(m, ca, cb, (0.0, 1.0)) + text >= limit
    strong = np.flatnonzero(class_ok[facts.cls].any(axis=1))
    stats["strong_facts"] = len(strong)
    yield from bounded(_strong_sweep(facts, m, strong, class_ok, limit, TEXT_FLOOR), "strong")

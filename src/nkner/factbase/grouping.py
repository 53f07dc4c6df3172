"""The same event across reports: score pairs of facts, group them, and reconcile their figures.

A *fact record* is one plain dict per extracted fact (docs/grouping.md and the fact-base
interface): ``fact_id``, ``report_id``, ``source``, ``publisher``, ``report_date``, ``event_type``,
``trigger``, ``time`` (ISO values), ``places``, ``agents``, ``affected``, ``instruments``,
``figures`` (``{"value", "qualifier", "text"}``, optionally ``"max"`` for a range and ``"role"``:
``"event"`` for the fact's own count, ``"affected"`` for an affected argument's count),
``sentence`` and ``confidence``.  :func:`fact_records` builds them from an extraction result.

Pair score (:func:`pair_score`, in [0, 1]):

* 0 when the event types differ, or when every pair of the two facts' time values is further
  apart than :data:`MAX_GAP_DAYS` (incompatible times: a *cannot-link*);
* otherwise a logistic model (:data:`MODEL`, weights chosen on the labelled pair set) over feature
  similarities in [0, 1] (:func:`pair_features`): time (overlap, graded by how precise the less
  precise value is; close but disjoint values score lower), how close the two reports' dates are
  (few facts carry a time of their own), place and agent names (overlap of casefolded canonical
  names), figures (1 if compatible within their qualifiers, else the ratio of the smaller to the
  larger) and the sentences' content words (Jaccard).  A feature one side lacks counts as
  :data:`MISSING_VALUE`, halfway between disagreement and agreement.  Affected names are computed
  but not used: they are mostly surface forms ("defectors", "North Korean refugees") and did not
  help on the pair set.

Grouping (:func:`group_facts`): average linkage (UPGMA) over the pair scores, one event type at a
time, written here rather than with ``scipy.cluster.hierarchy`` because two rules do not fit
scipy's: a pair of facts from the **same report** is neither evidence for nor against (it is left
out of the averages: a report's repeated mentions join one group only through other reports'
facts), and a cannot-link pair (incompatible times) forbids the merge of the clusters holding its
two facts.  Two clusters merge while their average cross score reaches the threshold, best pair
first; ties go to the pair whose members come first in ``fact_id`` order, and the facts are sorted
by ``fact_id`` first, so the result does not depend on the input order.  Average rather than single
linkage: single linkage (union-find over pairs above the threshold) chains unrelated events
through vague facts ("China returned North Koreans", no time or place).  Only the pairs that can
reach the threshold are scored up front (:mod:`nkner.factbase.blocking`) and the merges run over
that sparse graph (:class:`_Agglomeration`), with the same result as over the full matrix of
pair scores (docs/grouping.md, "Scale").

Figures (ACLED's practice; :func:`figure_interval`, :func:`reconcile_figures`): vague plurals
count at their lowest credible value ("tens" 10, "dozens" 12, "hundreds" 100, "thousands" 1,000,
"tens of thousands" 10,000), the **conservative** figure is the lowest headline figure reported,
``low`` and ``high`` the range of headline figures, and a **conflict** is flagged when no single number is
compatible with every report's headline figure given its qualifier: exact ``[v, v]``, ``about``
``[v(1-t), v(1+t)]`` with t = :data:`ABOUT_TOLERANCE`, ``at_least``/``more_than`` ``[v, inf)``,
``at_most``/``less_than`` ``[0, v]``, a range or vague plural ``[value, max]``.  A fact's headline
figure is its own count if it has one, else its largest affected count (a fact that counts "600
North Koreans, including 100 children" states one total, not two disagreeing ones).
"""
from __future__ import annotations

import calendar
import hashlib
import heapq
import math
import re
from datetime import date
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS

__all__ = [
    "ABOUT_TOLERANCE", "COMPATIBLE_SLACK", "DEFAULT_THRESHOLD", "DISJOINT_SHARE", "FEATURES", "MAX_GAP_DAYS",
    "MISSING_VALUE", "MODEL", "PRECISION", "PRECISION_ELSE", "REPORT_HORIZON_DAYS", "REPORT_SAME_DAYS",
    "report_similarity",
    "feature_vector", "prepare", "prepared_features",
    "fact_records", "figure_interval", "group_facts", "iso_interval", "pair_features", "pair_score",
    "reconcile_figures", "headline_figure", "score_features", "vague_plural_value",
]

FEATURES = ("time", "report", "place", "agent", "figures", "text")
MISSING_VALUE = 0.5   # a feature one side lacks: halfway between disagreement (0) and agreement (1)

# The score's weights and threshold: chosen on the `choose` part of annotations/fact-pairs/ by
# `python -m nkner.training.grouping_eval choose` (docs/grouping.md), which prints these lines; a
# unit test checks that they are what the pair set gives.
MODEL = {"intercept": -11.7624,
         "weights": {"time": 7.3705, "report": 2.71, "place": 0.2635, "agent": -0.8693, "figures": 7.6843, "text": 5.1954}}
DEFAULT_THRESHOLD = 0.59

MAX_GAP_DAYS = 45          # disjoint time values further apart than this: different events
PRECISION = ((31, 1.0), (366, 0.75), (3 * 366, 0.5))   # (periods of at most this many days, precision)
PRECISION_ELSE = 0.25      # the precision of a longer period
DISJOINT_SHARE = 0.6       # close but disjoint periods score this share of their precision, less with the gap
REPORT_SAME_DAYS = 14      # report dates this close score 1
REPORT_HORIZON_DAYS = 365  # report dates this far apart (or more) say nothing for the same event
ABOUT_TOLERANCE = 0.15     # "about 500" is compatible with 425..575
COMPATIBLE_SLACK = 1e-9    # relative slack of the figures' compatibility test (float rounding)
_OPEN_START, _OPEN_END = date(1, 1, 1), date(9999, 12, 31)

# --------------------------------------------------------------------------------------------
# time
# --------------------------------------------------------------------------------------------
_ISO_POINT = re.compile(r"^(\d{4})(?:-W(\d{2})|-(\d{2})(?:-(\d{2}))?)?$")


def _point(iso: str, end: bool) -> date | None:
    m = _ISO_POINT.match(iso)
    if not m:
        return None
    y, week, mo, d = m.groups()
    y = int(y)
    try:
        if week:
            return date.fromisocalendar(y, int(week), 7 if end else 1)
        if d:
            return date(y, int(mo), int(d))
        if mo:
            mo = int(mo)
            return date(y, mo, calendar.monthrange(y, mo)[1] if end else 1)
        return date(y, 12, 31) if end else date(y, 1, 1)
    except ValueError:
        return None


def iso_interval(iso: str) -> tuple[date, date] | None:
    """First and last day covered by an ISO value of the date normalizer: ``"2023"``,
    ``"2023-10"``, ``"2023-10-09"``, ``"2025-W33"``, an interval ``"2020/2023"`` (an open end
    ``..`` is unbounded).  None for anything else (a duration, garbage)."""
    if not isinstance(iso, str):
        return None
    iso = iso.strip()
    if "/" in iso:
        left, _, right = iso.partition("/")
        start = _OPEN_START if left == ".." else _point(left, end=False)
        stop = _OPEN_END if right == ".." else _point(right, end=True)
        if start is None or stop is None or start > stop or (left == ".." and right == ".."):
            return None
        return start, stop
    start, stop = _point(iso, end=False), _point(iso, end=True)
    return (start, stop) if start and stop else None


def _intervals(fact: dict) -> list[tuple[date, date]]:
    return [iv for iv in (iso_interval(v) for v in fact.get("time") or []) if iv]


def _time_similarity(a: tuple[date, date], b: tuple[date, date]) -> float | None:
    """Similarity of two periods; None when they are too far apart to be one event."""
    gap = max((b[0] - a[1]).days, (a[0] - b[1]).days, 0)
    if gap > MAX_GAP_DAYS:
        return None
    precision = _precision(max((a[1] - a[0]).days, (b[1] - b[0]).days) + 1)
    if gap == 0:
        return precision
    return precision * DISJOINT_SHARE * (1 - gap / (MAX_GAP_DAYS + 1))


def _precision(days: int) -> float:
    """How precise a period of ``days`` days is (PRECISION)."""
    for most, value in PRECISION:
        if days <= most:
            return value
    return PRECISION_ELSE


def _time_feature(ia: list, ib: list) -> tuple[float | None, bool]:
    """(similarity of two facts' periods or None when a side has none, incompatible: bool)."""
    if not ia or not ib:
        return None, False
    sims = [s for x in ia for y in ib if (s := _time_similarity(x, y)) is not None]
    if not sims:
        return 0.0, True
    return max(sims), False


def _report_feature(ia: tuple[date, date] | None, ib: tuple[date, date] | None) -> float | None:
    """How close the two reports' dates are: 1 within a fortnight, falling to 0 at
    REPORT_HORIZON_DAYS (most reports of one event come out within weeks); None if one is undated."""
    if ia is None or ib is None:
        return None
    return report_similarity(max((ib[0] - ia[1]).days, (ia[0] - ib[1]).days, 0))


def report_similarity(gap_days: int) -> float:
    """The report feature of two report dates ``gap_days`` apart."""
    if gap_days <= REPORT_SAME_DAYS:
        return 1.0
    return max(0.0, 1 - (gap_days - REPORT_SAME_DAYS) / (REPORT_HORIZON_DAYS - REPORT_SAME_DAYS))


# --------------------------------------------------------------------------------------------
# names and words
# --------------------------------------------------------------------------------------------
def _name(s: str) -> str:
    s = re.sub(r"\s+", " ", str(s).casefold()).strip()
    return re.sub(r"^the ", "", s)


def _name_set(xs) -> frozenset[str]:
    return frozenset(_name(x) for x in xs or [] if x)


def _overlap(a: frozenset, b: frozenset) -> float | None:
    if not a or not b:
        return None
    return len(a & b) / min(len(a), len(b))


_WORD = re.compile(r"[a-z0-9]+")


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall((text or "").casefold()) if w not in STOP_WORDS and (len(w) > 2 or w.isdigit())}


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def figure_interval(fig: dict) -> tuple[float, float]:
    """The credible interval of one figure given its qualifier (module docstring)."""
    v = float(fig["value"])
    q = fig.get("qualifier")
    if fig.get("max") is not None:
        return v, float(fig["max"])
    if q == "about":
        return v * (1 - ABOUT_TOLERANCE), v * (1 + ABOUT_TOLERANCE)
    if q in ("at_least", "more_than"):
        return v, math.inf
    if q in ("at_most", "less_than"):
        return 0.0, v
    return v, v


def _counts(fact: dict) -> list[dict]:
    return [f for f in fact.get("figures") or [] if isinstance(f.get("value"), (int, float))]


def headline_figure(fact: dict) -> dict | None:
    """The fact's own count if it has one, else its largest figure."""
    figs = _counts(fact)
    if not figs:
        return None
    own = [f for f in figs if f.get("role") == "event"]
    return max(own or figs, key=lambda f: (float(f["value"]), f.get("text") or ""))


def _compatible(figs: list[dict]) -> tuple[bool, tuple[dict, dict] | None]:
    """Whether one number fits every figure; else the figure with the highest lower bound and the
    one with the lowest upper bound (the pair that disagrees most)."""
    ivs = [(figure_interval(f), f) for f in figs]
    lo_iv, lo_f = max(ivs, key=lambda t: t[0][0])
    hi_iv, hi_f = min(ivs, key=lambda t: t[0][1])
    if lo_iv[0] <= hi_iv[1] * (1 + COMPATIBLE_SLACK):
        return True, None
    return False, (lo_f, hi_f)


def _figure_feature(fa: dict | None, fb: dict | None) -> float | None:
    """1 when the two headline figures are compatible given their qualifiers, else the ratio of the
    smaller to the larger (reports of one event often disagree: "about 500" vs "600" is 0.83,
    "nine" vs "500" is 0.02)."""
    if fa is None or fb is None:
        return None
    if _compatible([fa, fb])[0]:
        return 1.0
    lo, hi = sorted((abs(float(fa["value"])), abs(float(fb["value"]))))
    return round(lo / hi, 6) if hi else 0.0


def _describe(f: dict) -> str:
    return f"{f.get('text') or f['value']!s} ({f.get('report_id', '?')})"


def reconcile_figures(members: list[dict]) -> dict:
    """Figures of a group of fact records: every figure with its fact and report, the conservative
    figure, the range and the conflict flag (module docstring)."""
    figures, headlines = [], []
    for fact in members:
        for f in _counts(fact):
            figures.append({"value": f["value"], "qualifier": f.get("qualifier"), "text": f.get("text"),
                            **({"max": f["max"]} if f.get("max") is not None else {}),
                            "fact_id": fact["fact_id"], "report_id": fact["report_id"]})
        h = headline_figure(fact)
        if h is not None:
            headlines.append({**h, "fact_id": fact["fact_id"], "report_id": fact["report_id"]})
    figures.sort(key=lambda f: (float(f["value"]), f["fact_id"], f.get("text") or ""))
    out = {"figures": figures, "conservative": None, "low": None, "high": None, "conflict": False,
           "conflict_note": None}
    if not headlines:
        return out
    out["conservative"] = min(h["value"] for h in headlines)
    out["low"] = out["conservative"]
    out["high"] = max(h["max"] if h.get("max") is not None else h["value"] for h in headlines)
    ok, pair = _compatible(headlines)
    if not ok:
        hi, lo = pair
        out["conflict"] = True
        out["conflict_note"] = f"{_describe(hi)} is incompatible with {_describe(lo)}"
    return out


# --------------------------------------------------------------------------------------------
# pair score
# --------------------------------------------------------------------------------------------
def prepare(fact: dict) -> dict:
    """What the pair features read from one fact, computed once (group_facts prepares each fact once
    instead of once per pair)."""
    return {
        "intervals": _intervals(fact),
        "report": iso_interval(fact.get("report_date") or ""),
        "places": _name_set(fact.get("places")),
        "agents": _name_set(fact.get("agents")),
        "affected": _name_set(fact.get("affected")),
        "headline": headline_figure(fact),
        "words": frozenset(_content_words(fact.get("sentence", ""))),
    }


def prepared_features(pa: dict, pb: dict) -> dict:
    """:func:`pair_features` of two prepared facts."""
    t, incompatible = _time_feature(pa["intervals"], pb["intervals"])
    return {
        "time": t,
        "report": _report_feature(pa["report"], pb["report"]),
        "place": _overlap(pa["places"], pb["places"]),
        "agent": _overlap(pa["agents"], pb["agents"]),
        "affected": _overlap(pa["affected"], pb["affected"]),
        "figures": _figure_feature(pa["headline"], pb["headline"]),
        "text": _jaccard(pa["words"], pb["words"]),
        "incompatible": incompatible,
    }


def pair_features(a: dict, b: dict) -> dict:
    """Feature similarities of two facts of the same type (None: a side lacks it), and
    ``incompatible`` (times too far apart)."""
    return prepared_features(prepare(a), prepare(b))


def feature_vector(feats: dict) -> list[float]:
    """The model's inputs in FEATURES order; a missing feature is MISSING_VALUE."""
    return [MISSING_VALUE if feats[f] is None else float(feats[f]) for f in FEATURES]


def score_features(feats: dict, model: dict | None = None) -> float:
    """The logistic model's probability that the pair is one event (0 if the times are incompatible)."""
    if feats.get("incompatible"):
        return 0.0
    model = MODEL if model is None else model
    z = model["intercept"] + sum(model["weights"][f] * x for f, x in zip(FEATURES, feature_vector(feats)))
    return round(1.0 / (1.0 + math.exp(-z)), 6)


def pair_score(a: dict, b: dict) -> float:
    """How likely two fact records describe one real event, in [0, 1]: 0 for different event types
    or incompatible times."""
    if a.get("event_type") != b.get("event_type"):
        return 0.0
    return score_features(pair_features(a, b))


# --------------------------------------------------------------------------------------------
# grouping
# --------------------------------------------------------------------------------------------
def _group_id(fact_ids: list[str]) -> str:
    return "g" + hashlib.sha1("\n".join(sorted(fact_ids)).encode("utf-8")).hexdigest()[:16]


def _edges(prepared: list[dict], reports: list[str], threshold: float, score) -> dict[tuple[int, int], float]:
    """The pairs (i < j) of facts of different reports, compatible times and a score of at least
    ``max(threshold, 0)``, with their scores.  With the committed model, only the candidates of
    :func:`nkner.factbase.blocking.candidate_pairs` are scored (a superset of these pairs); with
    another score, every pair."""
    from nkner.factbase import blocking

    floor = max(threshold, 0.0)
    if score is score_features:
        chunks = blocking.candidate_pairs(prepared, reports, threshold)
    else:
        chunks = blocking.all_pairs(reports)
    edges: dict[tuple[int, int], float] = {}
    for I, J in chunks:
        for i, j in zip(I.tolist(), J.tolist()):
            i, j = (i, j) if i < j else (j, i)
            if (i, j) in edges:
                continue
            feats = prepared_features(prepared[i], prepared[j])
            if feats["incompatible"]:
                continue
            s = score(feats)
            if s >= floor:
                edges[i, j] = s
    return edges


def _cluster(facts: list[dict], threshold: float, score) -> list[tuple[list[int], float]]:
    """Average linkage over one event type's facts (sorted by fact_id); (member indices, lowest
    merge score) per cluster.  See :class:`_Agglomeration`."""
    prepared = [prepare(f) for f in facts]
    reports = [f["report_id"] for f in facts]
    edges = _edges(prepared, reports, threshold, score)
    return _Agglomeration(prepared, reports, edges, max(threshold, 0.0), score).run()


_BLOCKED = ("E", 0.0, 0, True)


class _Agglomeration:
    """Average linkage (UPGMA) over a sparse graph, with the same merges as over the full matrix.

    The full-matrix algorithm keeps, for every two clusters, the sum S and count C of their cross
    pair scores (pairs of one report left out) and whether a cross pair has incompatible times (a
    cannot-link), and merges the two clusters of best average S / C while it reaches the threshold,
    ties to the clusters whose first members come first.  Two clusters can only average at least
    the threshold if one of their cross pairs scores at least it (an *edge*), so only clusters
    joined by an edge (*neighbours*) are ever compared.  When clusters u and v merge, the new
    cluster's link to a neighbour x is S(u, x) + S(v, x): the same floating-point sum the matrix
    would hold.  A part that was no neighbour (say v and x) has no edge, so its average is below
    the threshold; the link is then kept *lazy* (an expression of known sums and pending parts) as
    long as its known parts alone average below the threshold, since it cannot reach it either,
    and is evaluated only when it might.  A pending part is summed from its facts' pair scores in
    the order of the merges that built the two clusters (the later-made cluster splits first), so
    every evaluated sum is bit for bit the matrix's, and ties break the same way."""

    def __init__(self, prepared, reports, edges, floor, score):
        n = len(prepared)
        self.prepared, self.reports, self.edges, self.floor, self.score = prepared, reports, edges, floor, score
        self.kids: list[tuple[int, int] | None] = [None] * n   # node -> the two nodes it merged (None: a fact)
        self.born: list[int] = [-1] * n                           # node -> merge step that made it
        self.rep: list[int] = list(range(n))                      # node -> its first member (tie order)
        self.size: list[int] = [1] * n
        self.low: list[float] = [1.0] * n
        # node -> neighbour -> link: ("E", sum, count, cannot-link) or ("L", expression, known sum,
        # known count, pending pairs)
        self.nbr: list[dict | None] = [{} for _ in range(n)]
        self.heap = []
        for (i, j), s in edges.items():
            self.nbr[i][j] = self.nbr[j][i] = ("E", s, 1, False)
            self.heap.append((-s, i, j, i, j))
        heapq.heapify(self.heap)

    # ---------------------------------------------------------------- sums of clusters never linked
    def _leaves(self, node: int) -> list[int]:
        out, stack = [], [node]
        while stack:
            k = stack.pop()
            if self.kids[k] is None:
                out.append(k)
            else:
                stack.extend(self.kids[k])
        return out

    def _leaf_score(self, i: int, j: int) -> float:
        if self.reports[i] == self.reports[j]:
            return 0.0
        key = (i, j) if i < j else (j, i)
        s = self.edges.get(key)
        return s if s is not None else self.score(prepared_features(self.prepared[i], self.prepared[j]))

    def _cross(self, u: int, v: int) -> tuple:
        """The exact link of two clusters that were never neighbours."""
        P, R = self.prepared, self.reports
        lu, lv = self._leaves(u), self._leaves(v)
        tu = [i for i in lu if P[i]["intervals"]]
        tv = [j for j in lv if P[j]["intervals"]]
        for i in tu:
            for j in tv:
                if R[i] != R[j] and _time_feature(P[i]["intervals"], P[j]["intervals"])[1]:
                    return _BLOCKED
        count = sum(R[i] != R[j] for i in lu for j in lv)
        kids, born = self.kids, self.born
        stack, vals = [(u, v, False)], []
        while stack:
            a, b, combine = stack.pop()
            if combine:
                y, x = vals.pop(), vals.pop()
                vals.append(x + y)
            elif kids[a] is None and kids[b] is None:
                vals.append(self._leaf_score(a, b))
            elif born[a] > born[b]:
                stack += [(a, b, True), (kids[a][1], b, False), (kids[a][0], b, False)]
            else:
                stack += [(a, b, True), (a, kids[b][1], False), (a, kids[b][0], False)]
        return ("E", vals[0], count, False)

    def _evaluate(self, expr) -> tuple:
        """A lazy link's exact value."""
        stack, vals = [(expr, False)], []
        while stack:
            e, combine = stack.pop()
            if combine:
                y, x = vals.pop(), vals.pop()
                vals.append(_BLOCKED if x[3] or y[3] else ("E", x[1] + y[1], x[2] + y[2], False))
            elif e[0] == "+":
                stack += [(e, True), (e[2], False), (e[1], False)]
            elif e[0] == "?":
                vals.append(self._cross(e[1], e[2]))
            else:
                vals.append(e)
        return vals[0]

    def _combine(self, a, b, u: int, v: int, x: int) -> tuple:
        """The link of u+v to x from the links of u and v to x (None: no neighbours)."""
        if (a is not None and a[0] == "E" and a[3]) or (b is not None and b[0] == "E" and b[3]):
            return _BLOCKED
        parts = []
        for link, node in ((a, u), (b, v)):
            if link is None:
                parts.append((("?", node, x), 0.0, 0, self.size[node] * self.size[x]))
            elif link[0] == "E":
                parts.append((link, link[1], link[2], 0))
            else:
                parts.append((link[1], link[2], link[3], link[4]))
        (ea, sa, ca, pa), (eb, sb, cb, pb) = parts
        if not pa and not pb:
            return ("E", ea[1] + eb[1], ea[2] + eb[2], False)
        known, count, pending = sa + sb, ca + cb, pa + pb
        lazy = ("L", ("+", ea, eb), known, count, pending)
        # pending parts average below the floor: the link cannot reach it while the known parts do not
        if known < self.floor * count - 1e-9 * (count + pending):
            return lazy
        return self._evaluate(lazy[1])

    # ------------------------------------------------------------------------------------ merging
    def run(self) -> list[tuple[list[int], float]]:
        kids, rep, nbr, heap, floor = self.kids, self.rep, self.nbr, self.heap, self.floor
        step = 0
        while heap:
            neg, _, _, u, v = heapq.heappop(heap)
            if nbr[u] is None or nbr[v] is None:
                continue
            best = -neg
            w = len(kids)
            kids.append((u, v))
            self.born.append(step)
            step += 1
            rep.append(min(rep[u], rep[v]))
            self.size.append(self.size[u] + self.size[v])
            self.low.append(min(self.low[u], self.low[v], best))
            nu, nv = nbr[u], nbr[v]
            nbr[u] = nbr[v] = None
            new: dict = {}
            rw = rep[w]
            for x in [x for x in nu if x != v] + [x for x in nv if x != u and x not in nu]:
                a, b = nu.get(x), nv.get(x)
                if a is not None and b is not None and a[0] == "E" and b[0] == "E" and not (a[3] or b[3]):
                    link = ("E", a[1] + b[1], a[2] + b[2], False)      # the common case: two known sums
                else:
                    link = self._combine(a, b, u, v, x)
                new[x] = link
                nx = nbr[x]
                nx.pop(u, None)
                nx.pop(v, None)
                nx[w] = link
                if link[0] == "E" and not link[3] and link[2]:
                    avg = link[1] / link[2]
                    if avg >= floor:
                        rx = rep[x]
                        heapq.heappush(heap, (-avg, rw, rx, w, x) if rw < rx else (-avg, rx, rw, w, x))
            nbr.append(new)
        out = [(sorted(self._leaves(k)), round(self.low[k], 6)) for k in range(len(kids)) if nbr[k] is not None]
        return sorted(out, key=lambda c: c[0][0])


def _dated(values) -> list[str]:
    return sorted(v for v in values if v)


def _ranked_names(members: list[dict], key: str) -> list[str]:
    counts: dict[str, tuple[int, str]] = {}
    for fact in members:
        for name in dict.fromkeys(fact.get(key) or []):
            k = _name(name)
            n, shown = counts.get(k, (0, name))
            counts[k] = (n + 1, min(shown, name))
    return [shown for _, (n, shown) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))]


def _group(members: list[dict], score: float) -> dict:
    ids = [f["fact_id"] for f in members]
    ivs = [iv for f in members for iv in _intervals(f)]
    starts = [iv[0] for iv in ivs if iv[0] != _OPEN_START]
    ends = [iv[1] for iv in ivs if iv[1] != _OPEN_END]
    reports = _dated(f.get("report_date") for f in members)
    return {
        "group_id": _group_id(ids),
        "event_type": members[0]["event_type"],
        "fact_ids": ids,
        "score": score,
        "n_reports": len({f["report_id"] for f in members}),
        "n_publishers": len({f.get("publisher") or f.get("source") or f["report_id"] for f in members}),
        **reconcile_figures(members),
        "first_report": reports[0] if reports else None,
        "last_report": reports[-1] if reports else None,
        "time_start": min(starts).isoformat() if starts else None,
        "time_end": max(ends).isoformat() if ends else None,
        "places": _ranked_names(members, "places"),
        "agents": _ranked_names(members, "agents"),
    }


def group_facts(facts: list[dict], threshold: float | None = None, score=None) -> list[dict]:
    """Group fact records that describe one real event (module docstring).  Every fact is in
    exactly one group (singletons included); facts of one report are joined only through facts of
    other reports.  ``score`` (features -> float) defaults to :func:`score_features`, whose bounds
    let the grouping score only the pairs that can reach the threshold; another score is computed
    for every pair (quadratic).  Groups come sorted by event type, then by their first fact_id."""
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    score = score_features if score is None else score
    seen: set[str] = set()
    for f in facts:
        if f["fact_id"] in seen:
            raise ValueError(f"fact_id {f['fact_id']!r} appears twice in the facts to group")
        seen.add(f["fact_id"])
    by_type: dict[str, list[dict]] = {}
    for f in sorted(facts, key=lambda f: f["fact_id"]):
        by_type.setdefault(f["event_type"], []).append(f)
    groups = []
    for event_type in sorted(by_type):
        ofs = by_type[event_type]
        for idx, low in _cluster(ofs, threshold, score):
            groups.append(_group([ofs[i] for i in idx], low))
    return groups


# --------------------------------------------------------------------------------------------
# from an extraction result to fact records
# --------------------------------------------------------------------------------------------
_VAGUE_SIZES = {"tens": 10, "dozens": 12, "hundreds": 100, "thousands": 1000, "millions": 10**6,
                "billions": 10**9}
_VAGUE = re.compile(r"^(?:(?:about|some|roughly|around|an estimated|estimated)\s+)?"
                    r"((?:tens|dozens|hundreds|thousands|millions|billions)(?:\s+of\s+(?:tens|dozens|hundreds|thousands|millions|billions))*)$")
_COUNT_UNITS = (None, "")   # percentages, fractions and money are not counts of an event


def vague_plural_value(text: str) -> int | None:
    """ACLED's value of a vague plural: "hundreds" 100, "tens of thousands" 10,000 (else None)."""
    m = _VAGUE.match(re.sub(r"\s+", " ", (text or "").casefold()).strip())
    if not m:
        return None
    value = 1
    for word in re.findall(r"[a-z]+", m.group(1)):
        value *= _VAGUE_SIZES.get(word, 1)
    return value


def _figure(count: dict, role: str) -> dict | None:
    if count.get("unit") not in _COUNT_UNITS:
        return None
    text = count.get("text", "")
    vague = vague_plural_value(text)
    if vague is not None:
        return {"value": vague, "qualifier": count.get("qualifier"), "text": text,
                **({"max": count["max"]} if "max" in count else {}), "role": role}
    if isinstance(count.get("value"), (int, float)):
        return {"value": count["value"], "qualifier": count.get("qualifier"), "text": text, "role": role}
    if isinstance(count.get("min"), (int, float)):
        return {"value": count["min"], "qualifier": count.get("qualifier"), "text": text,
                **({"max": count["max"]} if isinstance(count.get("max"), (int, float)) else {}), "role": role}
    return None


def _names(args: list[dict]) -> list[str]:
    return list(dict.fromkeys(a.get("canonical") or a.get("text", "") for a in args or [] if a.get("canonical") or a.get("text")))


def _report_text(result: dict, text: str | None) -> str:
    if text is not None:
        return text
    if isinstance(result.get("text"), str):
        return result["text"]
    source = result.get("source")
    if not source or not Path(source).is_file():
        raise ValueError(f"{source!r}: the extraction result carries no text and its source is not a readable "
                         f"file; pass the report's text")
    from nkner.extract.inputs import read_text

    got = read_text(Path(source))
    want = result.get("text_sha256")
    if want and hashlib.sha256(got.encode("utf-8")).hexdigest() != want:
        raise ValueError(f"{source!r}: the file's text no longer matches the extraction result's text_sha256")
    return got


def fact_records(result: dict, publisher: str | None = None, report_date: str | None = None, *,
                 report_id: str | None = None, text: str | None = None) -> list[dict]:
    """The fact records of one report's extraction result (one object of ``nkner extract``).

    ``report_id`` defaults to the first 16 hex digits of the result's ``text_sha256``; a fact's id is
    ``<report_id>:<trigger start>-<trigger end>``.  Sentences are cut from ``text``, else from the
    result's ``text`` (HTML, PDF), else from the file named by ``source`` (checked against
    ``text_sha256``)."""
    if "error" in result:
        raise ValueError(f"{result.get('source')!r}: the extraction result is an error ({result['error']})")
    facts = result.get("facts") or []
    if not facts:
        return []
    body = _report_text(result, text)
    report_id = report_id or (result.get("text_sha256") or "")[:16] or str(result.get("source"))
    out = []
    for fact in facts:
        trig = fact["trigger"]
        figures = []
        if fact.get("count"):
            figures.append(_figure(fact["count"], "event"))
        for arg in fact.get("affected") or []:
            if arg.get("count"):
                figures.append(_figure(arg["count"], "affected"))
        sent = fact.get("sentence") or {}
        out.append({
            "fact_id": f"{report_id}:{trig['start']}-{trig['end']}",
            "report_id": report_id,
            "source": result.get("source"),
            "publisher": publisher,
            "report_date": report_date,
            "event_type": fact["event_type"],
            "trigger": trig["text"],
            "time": [t["iso"] for t in fact.get("time") or [] if t.get("iso")],
            "places": _names(fact.get("place")),
            "agents": _names(fact.get("agent")),
            "affected": _names(fact.get("affected")),
            "instruments": _names(fact.get("instrument")),
            "figures": [f for f in figures if f],
            "sentence": body[sent.get("start", trig["start"]):sent.get("end", trig["end"])].strip(),
            "confidence": fact.get("confidence"),
        })
    return out

"""Inter-annotator agreement between the versions annotators made of the same documents.

doccano computes no agreement itself, so this is done on the pulled versions, for every pair of
annotators over the documents both labelled, per schema label and over all labels:

* span-level F1: a span matches when both annotators marked the same offsets with the same label
  (and, for EVENT, the same event type); F1 = 2 * matched / (spans of A + spans of B);
* token-level Cohen's kappa over the project's tokens (:func:`nkner.corpus.segment.make_doc`,
  whitespace tokens left out): per label, each token is "inside a span of that label" or not;
  for "all labels", each token carries its span label (``EVENT:<type>`` for events) or ``O``.
  Kappa is undefined (``None``) when both annotators are constant and identical (expected
  agreement 1), e.g. when neither used a label.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

from nkner.corpus.segment import make_doc
from nkner.corpus.store import Document
from nkner.doccano.mapping import span_label_name
from nkner.schema import LABEL_NAMES

ALL = "all labels"
OUTSIDE = "O"


@dataclass
class LabelAgreement:
    """Agreement of two annotators on one label (or on all labels)."""

    label: str
    spans_a: int
    spans_b: int
    matched: int
    kappa: float | None

    @property
    def f1(self) -> float | None:
        total = self.spans_a + self.spans_b
        return 2 * self.matched / total if total else None


@dataclass
class PairAgreement:
    """Agreement of two annotators over the documents both labelled."""

    annotator_a: str
    annotator_b: str
    documents: list[str]
    labels: list[LabelAgreement]


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two equally long label sequences; None when undefined."""
    if len(a) != len(b):
        raise ValueError(f"kappa needs sequences of equal length, got {len(a)} and {len(b)}")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[k] * count_b[k] for k in count_a) / (n * n)
    if expected == 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def _span_keys(doc: Document, label: str | None) -> set[tuple[int, int, str]]:
    return {(e.start, e.end, span_label_name(e.label, e.event_type))
            for e in doc.entities if label is None or e.label == label}


def _tokens(text: str) -> list[tuple[int, int]]:
    return [(t.idx, t.idx + len(t.text)) for t in make_doc(text) if not t.is_space]


def _token_tags(doc: Document, tokens: list[tuple[int, int]], label: str | None) -> list[str]:
    """Per token: the span label covering it (``label`` only, or any when None) or ``O``."""
    tags = [OUTSIDE] * len(tokens)
    spans = sorted(_span_keys(doc, label))
    for i, (ts, te) in enumerate(tokens):
        for start, end, name in spans:
            if start < te and ts < end:
                tags[i] = name if label is None else label
                break
    return tags


def pair_agreement(name_a: str, name_b: str, pairs: list[tuple[Document, Document]]) -> PairAgreement:
    """Agreement of annotators ``name_a`` and ``name_b`` over (A's version, B's version) pairs."""
    rows = []
    token_lists = [_tokens(a.text) for a, _ in pairs]
    for label in (*LABEL_NAMES, None):
        spans_a = spans_b = matched = 0
        tags_a: list[str] = []
        tags_b: list[str] = []
        for (doc_a, doc_b), tokens in zip(pairs, token_lists):
            keys_a, keys_b = _span_keys(doc_a, label), _span_keys(doc_b, label)
            spans_a, spans_b, matched = spans_a + len(keys_a), spans_b + len(keys_b), matched + len(keys_a & keys_b)
            tags_a += _token_tags(doc_a, tokens, label)
            tags_b += _token_tags(doc_b, tokens, label)
        rows.append(LabelAgreement(label or ALL, spans_a, spans_b, matched, cohen_kappa(tags_a, tags_b)))
    return PairAgreement(name_a, name_b, [a.id for a, _ in pairs], rows)


def agreement(versions: dict[str, dict[str, Document]]) -> list[PairAgreement]:
    """Pairwise agreement from ``{doc_id: {annotator: Document}}`` (documents with 2+ versions)."""
    annotators = sorted({user for by_user in versions.values() for user in by_user})
    out = []
    for a, b in combinations(annotators, 2):
        pairs = [(by_user[a], by_user[b]) for _, by_user in sorted(versions.items())
                 if a in by_user and b in by_user]
        if pairs:
            out.append(pair_agreement(a, b, pairs))
    return out


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def render(pairs: list[PairAgreement]) -> str:
    """Plain-text agreement report, one table per pair of annotators."""
    lines = []
    for pair in pairs:
        lines.append(f"Agreement {pair.annotator_a} vs {pair.annotator_b} on {len(pair.documents)} "
                     f"document(s): {', '.join(pair.documents)}")
        lines.append(f"  {'label':<18}{'spans A':>8}{'spans B':>8}{'matched':>8}{'span F1':>9}{'kappa':>8}")
        for row in pair.labels:
            lines.append(f"  {row.label:<18}{row.spans_a:>8}{row.spans_b:>8}{row.matched:>8}"
                         f"{_fmt(row.f1):>9}{_fmt(row.kappa):>8}")
    return "\n".join(lines)

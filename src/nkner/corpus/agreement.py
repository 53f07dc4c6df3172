"""Agreement between two independent annotation passes of the same documents, per genre.

Test documents are annotated twice from scratch (passes ``A`` and ``B``, authoring files
``annotations/work/ext/<doc_id>.<pass>.json``) before adjudication.  Agreement is the score of one
pass against the other with the evaluation's own metrics (:func:`nkner.training.evaluate.score_document`),
which are symmetric for micro F1: span F1 (same offsets and label), relation F1 (same end spans and
type), and event-type agreement over the EVENT spans both passes marked with the same offsets.
Token-level kappa for doccano versions lives in :mod:`nkner.doccano.agreement`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nkner.corpus.authoring import compile_drafts
from nkner.corpus.store import CorpusError, Document, annotations_dir, load_document


def work_dir(root: Path | None = None) -> Path:
    return annotations_dir(root) / "work" / "ext"


def load_pass(doc_id: str, letter: str, root: Path | None = None) -> Document | None:
    """One annotation pass of a document as a Document, or None when that pass has no file yet."""
    path = work_dir(root) / f"{doc_id}.{letter}.json"
    if not path.exists():
        return None
    ents, rels, errors = compile_drafts(doc_id, [json.loads(path.read_text(encoding="utf-8"))])
    if errors:
        raise CorpusError(f"{path}: {len(errors)} problems, first: {errors[0]}")
    doc = load_document(doc_id, root, with_annotations=False)
    doc.entities, doc.relations = ents, rels
    return doc


@dataclass
class GenreAgreement:
    genre: str
    documents: list[str]
    words: int
    span_f1: float
    relation_f1: float
    event_type_agreement: float | None
    events_compared: int


def agreement_by_genre(docs: list[Document], a: str = "A", b: str = "B",
                       root: Path | None = None) -> list[GenreAgreement]:
    """Agreement of passes ``a`` and ``b`` over the documents that have both, per genre and overall
    (genre ``"all"``)."""
    from nkner.training.evaluate import Scores, gold_prediction, score_document

    groups: dict[str, tuple[Scores, list[str], list[int]]] = {}
    for doc in docs:
        pa, pb = load_pass(doc.id, a, root), load_pass(doc.id, b, root)
        if pa is None or pb is None:
            continue
        s = score_document(pa, gold_prediction(pb))
        for key in (doc.genre or "unknown", "all"):
            scores, ids, words = groups.setdefault(key, (Scores(), [], []))
            scores.add(s)
            ids.append(doc.id)
            words.append(len(doc.text.split()))
    out = []
    for genre, (scores, ids, words) in sorted(groups.items(), key=lambda kv: (kv[0] == "all", kv[0])):
        summ = scores.summary()
        out.append(GenreAgreement(genre, ids, sum(words), summ["ents_strict"]["f"], summ["relations"]["f"],
                                  summ["event_type_accuracy"], summ["event_type_n"]))
    return out


def render(rows: list[GenreAgreement], a: str = "A", b: str = "B") -> str:
    lines = [f"Agreement of independent passes {a} and {b}", "",
             "| genre | documents | words | span F1 | relation F1 | event-type agreement (n) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        et = "–" if r.event_type_agreement is None else f"{r.event_type_agreement:.3f} ({r.events_compared})"
        lines.append(f"| {r.genre} | {len(r.documents)} | {r.words:,} | {r.span_f1:.3f} | {r.relation_f1:.3f} | {et} |")
    return "\n".join(lines) + "\n"


def pass_differences(doc_id: str, a: str = "A", b: str = "B", root: Path | None = None) -> list[str]:
    """What an adjudicator must decide: spans, event types and relations on which passes ``a`` and
    ``b`` of one document differ, one line each, in text order, with the sentence number."""
    from nkner.corpus.segment import sentence_spans

    pa, pb = load_pass(doc_id, a, root), load_pass(doc_id, b, root)
    if pa is None or pb is None:
        missing = a if pa is None else b
        raise CorpusError(f"{doc_id}: pass {missing} has no file {work_dir(root) / f'{doc_id}.{missing}.json'}")
    starts = [s for s, _ in sentence_spans(pa.text)]

    def sent(pos: int) -> int:
        return max(i for i, s in enumerate(starts) if s <= pos)

    def spans(d: Document) -> dict[tuple[int, int], tuple[str, str | None]]:
        return {(e.start, e.end): (e.label, e.event_type) for e in d.entities}

    def rels(d: Document) -> set[tuple[tuple[int, int], str, tuple[int, int]]]:
        by_id = d.entity_by_id()
        return {((by_id[r.from_id].start, by_id[r.from_id].end), r.type, (by_id[r.to_id].start, by_id[r.to_id].end))
                for r in d.relations}

    text = pa.text
    sa, sb = spans(pa), spans(pb)
    lines: list[tuple[int, str]] = []
    for key in sorted(set(sa) | set(sb)):
        va, vb = sa.get(key), sb.get(key)
        if va == vb:
            continue
        fmt = lambda v: "-" if v is None else v[0] + (f":{v[1]}" if v[1] else "")  # noqa: E731
        lines.append((key[0], f"s{sent(key[0])} span {text[key[0]:key[1]]!r} [{key[0]}:{key[1]}]  "
                               f"{a}={fmt(va)}  {b}={fmt(vb)}"))
    ra, rb = rels(pa), rels(pb)
    for h, t, tail in sorted(ra ^ rb):
        who = a if (h, t, tail) in ra else b
        lines.append((h[0], f"s{sent(h[0])} relation {text[h[0]:h[1]]!r} -{t}-> {text[tail[0]:tail[1]]!r}  "
                             f"only in {who}"))
    return [line for _, line in sorted(lines, key=lambda x: x[0])]

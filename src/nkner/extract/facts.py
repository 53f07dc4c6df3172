"""From an annotated spaCy Doc to the extraction contract's objects: entities, facts, statements.

Rules (extraction output contract v1):
- every EVENT entity becomes a fact with its ``event_type``, ``trigger``, the arguments linked by
  ``agent``/``affected``/``time``/``place``/``instrument`` relations, its sentence and a confidence;
- a ``quantity`` relation whose target is an ACTOR that is an argument of a fact appears as that
  argument's ``count``; one whose target is an EVENT appears as that fact's ``count``; any other
  ``quantity`` (a statistic with no event) and every ``party_to`` appear in ``statements``.
All offsets are shifted by ``offset`` (the chunk's position in the whole report).
"""
from __future__ import annotations

from typing import Iterable

from spacy.tokens import Doc, Span

from nkner.schema import FACT_ROLES

NUMBER_KEYS = ("value", "min", "max", "qualifier", "unit")


def _norm_fields(ent: Span) -> dict:
    out: dict = {}
    if ent.label_ in ("ACTOR", "LEGAL_INSTRUMENT", "LOCATION") and ent._.canonical:
        out["canonical"] = ent._.canonical
    elif ent.label_ == "NUMBER" and ent._.norm:
        out.update({k: ent._.norm[k] for k in NUMBER_KEYS if k in ent._.norm})
    elif ent.label_ == "DATE" and ent._.norm:
        out.update({k: v for k, v in ent._.norm.items() if k in ("iso", "duration", "relative")})
    return out


def entity_object(ent: Span, offset: int = 0) -> dict:
    obj = {"start": ent.start_char + offset, "end": ent.end_char + offset, "label": ent.label_,
           "text": ent.text}
    if ent.label_ == "EVENT":
        obj["event_type"] = ent._.event_type
    obj.update(_norm_fields(ent))
    return obj


def _ref(ent: Span, offset: int) -> dict:
    obj = {"start": ent.start_char + offset, "end": ent.end_char + offset, "text": ent.text}
    obj.update(_norm_fields(ent))
    return obj


def doc_objects(doc: Doc, offset: int = 0) -> tuple[list[dict], list[dict], list[dict]]:
    """(entities, facts, statements) of one Doc (one chunk of a report)."""
    ents = list(doc.ents)
    by_span = {(e.start_char, e.end_char): e for e in ents}
    entities = [entity_object(e, offset) for e in ents]
    rels = doc._.relations or []
    facts: dict[tuple[int, int], dict] = {}
    rel_scores: dict[tuple[int, int], list[float]] = {}
    for e in ents:
        if e.label_ != "EVENT":
            continue
        sent = e.sent
        facts[(e.start_char, e.end_char)] = {
            "event_type": e._.event_type,
            "trigger": {"start": e.start_char + offset, "end": e.end_char + offset, "text": e.text},
            **{role: [] for role in FACT_ROLES},
            "sentence": {"start": sent.start_char + offset, "end": sent.end_char + offset},
            "confidence": None,
        }
    statements: list[dict] = []
    arg_index: dict[tuple[int, int], list[dict]] = {}  # ACTOR span -> argument objects citing it
    for r in rels:
        head, tail = by_span.get(tuple(r["head"])), by_span.get(tuple(r["tail"]))
        if head is None or tail is None:
            continue
        if r["type"] in FACT_ROLES and (head.start_char, head.end_char) in facts:
            arg = _ref(tail, offset)
            facts[(head.start_char, head.end_char)][r["type"]].append(arg)
            rel_scores.setdefault((head.start_char, head.end_char), []).append(r.get("score", 1.0))
            if tail.label_ == "ACTOR":
                arg_index.setdefault((tail.start_char, tail.end_char), []).append(arg)
    for r in rels:
        head, tail = by_span.get(tuple(r["head"])), by_span.get(tuple(r["tail"]))
        if head is None or tail is None:
            continue
        if r["type"] == "quantity":
            key = (tail.start_char, tail.end_char)
            count = _ref(head, offset)
            if tail.label_ == "EVENT" and key in facts:
                facts[key]["count"] = count
                continue
            if tail.label_ == "ACTOR" and key in arg_index:
                for arg in arg_index[key]:
                    arg["count"] = count
                continue
        if r["type"] in ("quantity", "party_to"):
            statements.append({"relation": r["type"], "from": _ref(head, offset), "to": _ref(tail, offset)})
    for key, fact in facts.items():
        ev = by_span[key]
        parts = [ev._.event_score if ev._.event_score is not None else 1.0] + rel_scores.get(key, [])
        fact["confidence"] = round(sum(parts) / len(parts), 3)
    return entities, list(facts.values()), statements


Chunk = tuple[list[dict], list[dict], list[dict]]


def merge_chunks(header: dict, chunks: Iterable[Chunk]) -> dict:
    """A report's contract object: ``header`` with the entities, facts and statements of its chunks
    (:func:`doc_objects` of each, offsets already in the whole text), in order."""
    obj = dict(header, entities=[], facts=[], statements=[])
    for entities, facts, statements in chunks:
        obj["entities"] += entities
        obj["facts"] += facts
        obj["statements"] += statements
    return obj

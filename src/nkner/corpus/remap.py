"""Carry annotations over a change of the cleaned text (e.g. a new cleaning rule).

Offsets are mapped through the character-level difference between the old and the new text; a span
that touches a changed region cannot be carried safely and is dropped and reported (with the
relations that use it), never shifted silently.
"""
from __future__ import annotations

from difflib import SequenceMatcher

from nkner.corpus.store import Document


def offset_map(old: str, new: str) -> dict[int, int]:
    """Old offset -> new offset for every position inside an unchanged stretch (and its end)."""
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, _ in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i1, i2 + 1):
                mapping[k] = j1 + (k - i1)
    return mapping


def remap(doc: Document, new_text: str) -> tuple[Document, list[str]]:
    """``doc``'s annotations on ``new_text``; returns (document, messages about dropped spans)."""
    m = offset_map(doc.text, new_text)
    kept, dropped, messages = [], set(), []
    for e in doc.entities:
        a, b = m.get(e.start), m.get(e.end)
        if a is None or b is None or new_text[a:b] != doc.text[e.start:e.end]:
            dropped.add(e.id)
            messages.append(f"{doc.id}: span [{e.start}:{e.end}] {doc.text[e.start:e.end]!r} ({e.label}) touches "
                            "changed text and was dropped")
            continue
        e.start, e.end = a, b
        kept.append(e)
    rels = [r for r in doc.relations if r.from_id not in dropped and r.to_id not in dropped]
    if len(rels) != len(doc.relations):
        messages.append(f"{doc.id}: {len(doc.relations) - len(rels)} relations dropped with those spans")
    return Document(doc.id, new_text, doc.metadata, kept, rels, doc.meta), messages

"""Differences between two versions of a document's annotations (spans and relations), ids carried
over so that a pulled version changes the local file as little as possible."""
from __future__ import annotations

from dataclasses import dataclass, field

from nkner.corpus.store import Document, Entity, Relation
from nkner.doccano.mapping import display_label


@dataclass
class DocDiff:
    """Differences of a new version against the old one (spans and relations)."""

    added: list[Entity] = field(default_factory=list)
    removed: list[Entity] = field(default_factory=list)
    changed: list[tuple[Entity, Entity]] = field(default_factory=list)  # (old, new)
    rel_added: list[Relation] = field(default_factory=list)
    rel_removed: list[Relation] = field(default_factory=list)
    rel_changed: list[tuple[Relation, Relation]] = field(default_factory=list)  # (old, new)
    span_map: dict[int, int] = field(default_factory=dict)  # new entity id -> old entity id
    #: the two versions compared: the entity and relation ids above refer to these
    old: Document | None = None
    new: Document | None = None

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.rel_added or self.rel_removed
                    or self.rel_changed)

    def summary(self) -> str:
        return (f"spans +{len(self.added)} -{len(self.removed)} ~{len(self.changed)}, relations "
                f"+{len(self.rel_added)} -{len(self.rel_removed)} ~{len(self.rel_changed)}")


def _same_kind(a: Entity, b: Entity) -> bool:
    return a.label == b.label and a.event_type == b.event_type


def diff_documents(old: Document | None, new: Document) -> DocDiff:
    """Match spans (same offsets first, then overlapping with the same label) and relations.

    Same offsets with another label or event type, or overlapping offsets with the same label,
    count as a changed span; a relation between matched spans with another type counts as changed.
    """
    d = DocDiff(old=old, new=new)
    old_ents = list(old.entities) if old else []
    old_by_offsets = {(e.start, e.end): e for e in old_ents}
    matched_old: set[int] = set()
    rest_new = []
    for e in sorted(new.entities, key=lambda e: (e.start, e.end)):
        o = old_by_offsets.get((e.start, e.end))
        if o is not None and o.id not in matched_old:
            matched_old.add(o.id)
            d.span_map[e.id] = o.id
            if not _same_kind(o, e):
                d.changed.append((o, e))
        else:
            rest_new.append(e)
    rest_old = [o for o in old_ents if o.id not in matched_old]
    for e in rest_new:
        o = next((o for o in rest_old if _same_kind(o, e) and o.start < e.end and e.start < o.end), None)
        if o is None:
            d.added.append(e)
        else:
            rest_old.remove(o)
            d.span_map[e.id] = o.id
            d.changed.append((o, e))
    d.removed = sorted(rest_old, key=lambda e: (e.start, e.end))

    def ends(r: Relation) -> tuple:
        return (("old", d.span_map[r.from_id]) if r.from_id in d.span_map else ("new", r.from_id),
                ("old", d.span_map[r.to_id]) if r.to_id in d.span_map else ("new", r.to_id))

    old_rels = {(("old", r.from_id), ("old", r.to_id), r.type): r for r in (old.relations if old else [])}
    rest_new_rels = []
    for r in new.relations:
        key = (*ends(r), r.type)
        if key in old_rels:
            old_rels.pop(key)
        else:
            rest_new_rels.append(r)
    for r in rest_new_rels:
        o = next((o for k, o in old_rels.items() if k[:2] == ends(r)), None)
        if o is None:
            d.rel_added.append(r)
        else:
            old_rels.pop((("old", o.from_id), ("old", o.to_id), o.type))
            d.rel_changed.append((o, r))
    d.rel_removed = list(old_rels.values())
    return d


def align_ids(new: Document, old: Document | None, diff: DocDiff) -> Document:
    """``new`` with the ids of matching spans and relations taken from ``old`` (minimal file diffs)."""
    old_rels = {(r.from_id, r.to_id, r.type): r.id for r in (old.relations if old else [])}
    changed_rels = {id(n): o.id for o, n in diff.rel_changed}
    next_ent = max((e.id for e in (old.entities if old else [])), default=0) + 1
    next_rel = max((r.id for r in (old.relations if old else [])), default=0) + 1
    ent_ids = {}
    entities = []
    for e in sorted(new.entities, key=lambda e: (e.start, e.end)):
        if e.id in diff.span_map:
            ent_ids[e.id] = diff.span_map[e.id]
        else:
            ent_ids[e.id], next_ent = next_ent, next_ent + 1
        entities.append(Entity(ent_ids[e.id], e.start, e.end, e.label, e.event_type))
    relations = []
    for r in new.relations:
        f, t = ent_ids[r.from_id], ent_ids[r.to_id]
        rid = old_rels.get((f, t, r.type), changed_rels.get(id(r)))
        if rid is None:
            rid, next_rel = next_rel, next_rel + 1
        relations.append(Relation(rid, f, t, r.type))
    relations.sort(key=lambda r: r.id)
    return Document(new.id, new.text, new.metadata, entities, relations, dict(new.meta))


def _span(doc: Document, e: Entity) -> str:
    return f"[{e.start}:{e.end}] {display_label(e.label, e.event_type)} {doc.span_text(e)!r}"


def _rel(doc: Document, r: Relation) -> str:
    """A relation with the spans it joins (offsets, label, text), looked up in its own version."""
    ents = doc.entity_by_id()
    show = lambda i: _span(doc, ents[i]) if i in ents else f"missing span {i}"  # noqa: E731
    return f"{r.type}: {show(r.from_id)} -> {show(r.to_id)}"


def render_diff(diff: DocDiff) -> list[str]:
    """One line per difference: ``+`` added, ``-`` removed, ``~`` changed.

    Spans and relations are shown from the version they belong to (``diff.old`` or ``diff.new``),
    whose ids they carry: doccano numbers spans its own way, so the ids of a pulled version say
    nothing about the local file's.
    """
    old, new = diff.old, diff.new
    lines = [f"  + {_span(new, e)}" for e in diff.added]
    lines += [f"  - {_span(old, e)}" for e in diff.removed]
    lines += [f"  ~ {_span(old, o)} -> {_span(new, n)}" for o, n in diff.changed]
    lines += [f"  + relation {_rel(new, r)}" for r in diff.rel_added]
    lines += [f"  - relation {_rel(old, r)}" for r in diff.rel_removed]
    lines += [f"  ~ relation {_rel(old, o)} becomes {n.type}" for o, n in diff.rel_changed]
    return lines

"""Annotation records <-> doccano JSONL, and the label names used in the doccano project.

Label mapping (schema v1 -> doccano), lossless in both directions:

* every span label of :data:`nkner.schema.LABELS` except EVENT keeps its colour and shortcut key,
  and its name unless it is too long for doccano's annotation view (``LEGAL_INSTRUMENT`` becomes
  ``LEGAL_INSTR``, :data:`SHORT_NAMES`);
* EVENT spans carry an event type, which doccano spans cannot: each event type becomes its own
  span label, named by the event type alone (``repatriation``, ``flight``, ...: lower case, unlike
  the other labels) in a colour of its own (:data:`EVENT_COLORS`); there is no bare ``EVENT``
  label.  doccano's annotation view cuts label names after :data:`DOCCANO_MAX_LABEL_LENGTH`
  characters, and every event type fits.  Its shortcut is the first letter of the event type
  that no other span label uses (``r``, ``f``, ``t``, ``b``, ``i``, ``c``, ``g``, ``v`` for v1);
  on pull ``<type>`` becomes ``label="EVENT", event_type="<type>"``.  Projects made before
  carry ``EVENT:<type>`` labels: pushing renames them (their spans keep them), and pulls read both;
* relation types keep their names, colours and shortcut keys (a separate key space in doccano).

A document travels as doccano's relation JSONL (``text``, ``entities``, ``relations``); doccano keeps
every other key as the example's metadata, so the document id, the text hash and the rest of the
annotation meta ride along as ``doc_id``, ``text_sha256`` and ``nkner``.  doccano's export adds
``id`` (the example id) and ``Comments``.
"""
from __future__ import annotations

from dataclasses import dataclass

from nkner.corpus.store import Document, Entity, Relation, sha256_text
from nkner.doccano import DoccanoError
from nkner.schema import EVENT_TYPE_NAMES, LABELS, RELATION_TYPES, SCHEMA_VERSION

#: prefix of the event labels of projects made before event labels were named by their type alone
LEGACY_EVENT_PREFIX = "EVENT:"
#: doccano 1.8.4's annotation view shows at most this many characters of a label's name
#: (``maxLabelLength`` of its span renderer), then "..."
DOCCANO_MAX_LABEL_LENGTH = 12
#: doccano names of the schema labels whose names do not fit (the old name is read too)
SHORT_NAMES: dict[str, str] = {"LEGAL_INSTRUMENT": "LEGAL_INSTR"}
#: one colour per event type in doccano, apart from each other and from the other labels' colours
EVENT_COLORS: dict[str, str] = {
    "repatriation": "#e6194b",  # red
    "flight": "#ff9561",  # orange (EVENT's colour in displaCy)
    "detention": "#9a6324",  # brown
    "abuse": "#800000",  # maroon
    "trafficking": "#f032e6",  # magenta
    "crisis": "#ffe119",  # yellow
    "legal_action": "#3cb44b",  # green
    "advocacy": "#4363d8",  # blue
}


@dataclass(frozen=True)
class LabelSpec:
    """One doccano label type: name, colours and keyboard shortcut (and names it had before)."""

    name: str
    color: str
    text_color: str
    suffix_key: str | None
    former_names: tuple[str, ...] = ()


def span_label_name(label: str, event_type: str | None = None) -> str:
    """doccano span label for a schema label (and, for EVENT, its event type)."""
    if label == "EVENT" and event_type is not None:
        return event_type
    return SHORT_NAMES.get(label, label)


def parse_span_label(name: str) -> tuple[str, str | None]:
    """Schema label and event type of a doccano span label (inverse of :func:`span_label_name`;
    also reads the ``EVENT:<type>`` labels of older projects)."""
    if name.startswith(LEGACY_EVENT_PREFIX):
        return "EVENT", name[len(LEGACY_EVENT_PREFIX):]
    if name in EVENT_TYPE_NAMES:
        return "EVENT", name
    return next((label for label, short in SHORT_NAMES.items() if short == name), name), None


def display_label(label: str, event_type: str | None = None) -> str:
    """A span's label as nkner's messages write it: ``EVENT:<type>`` for events."""
    return f"EVENT:{event_type}" if label == "EVENT" and event_type is not None else label


def text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``)."""
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def event_shortcuts() -> dict[str, str | None]:
    """Shortcut key of each ``EVENT:<type>`` label: the first letter of the type not taken yet."""
    taken = {label.shortcut for label in LABELS}
    keys: dict[str, str | None] = {}
    for event_type in EVENT_TYPE_NAMES:
        key = next((c for c in event_type if "a" <= c <= "z" and c not in taken), None)
        if key is not None:
            taken.add(key)
        keys[event_type] = key
    return keys


def span_label_specs() -> list[LabelSpec]:
    """The doccano span labels of the project, in schema order (EVENT expanded per event type)."""
    specs = []
    for label in LABELS:
        if label.name == "EVENT":
            specs += [LabelSpec(span_label_name("EVENT", t), EVENT_COLORS[t], text_color(EVENT_COLORS[t]), key,
                                (LEGACY_EVENT_PREFIX + t,))
                      for t, key in event_shortcuts().items()]
        else:
            name = span_label_name(label.name)
            specs.append(LabelSpec(name, label.color, text_color(label.color), label.shortcut,
                                   (label.name,) if name != label.name else ()))
    return specs


def relation_label_specs() -> list[LabelSpec]:
    """The doccano relation types of the project, in schema order."""
    return [LabelSpec(r.name, r.color, text_color(r.color), r.shortcut) for r in RELATION_TYPES]


def to_doccano(doc: Document, entities: list[Entity], relations: list[Relation]) -> dict:
    """The doccano import record of ``doc`` with the given pre-annotations (possibly none).

    An excerpt of a new report (``doc.meta["excerpt_of"]``: path, offsets, hashes) carries it as
    the example's ``excerpt_of`` metadata too, so that annotators see where the text comes from.
    """
    meta = {k: v for k, v in doc.meta.items() if k not in ("doc_id", "text_sha256")}
    meta.setdefault("schema", SCHEMA_VERSION)
    meta.setdefault("status", "draft")
    meta.setdefault("annotators", {})
    extra = {"excerpt_of": meta["excerpt_of"]} if "excerpt_of" in meta else {}
    return {
        "text": doc.text,
        "entities": [{"id": e.id, "start_offset": e.start, "end_offset": e.end,
                      "label": span_label_name(e.label, e.event_type)}
                     for e in sorted(entities, key=lambda e: (e.start, e.end))],
        "relations": [{"id": r.id, "from_id": r.from_id, "to_id": r.to_id, "type": r.type} for r in relations],
        "doc_id": doc.id,
        "text_sha256": sha256_text(doc.text),
        "nkner": meta,
        **extra,
    }


def has_annotations(rec: dict) -> bool:
    """True when a doccano export record holds at least one span or relation."""
    return bool(rec.get("entities") or rec.get("relations"))


def from_doccano(rec: dict, source: str) -> dict:
    """The annotation record (see :mod:`nkner.corpus.store`) of one doccano export record.

    Only the structure is checked here (fields present, offsets and ids integers); labels, event
    types, offsets and relations are checked by :func:`nkner.corpus.validate.validate_record`.
    ``source`` names the record in messages (user file and example id).
    """
    if not isinstance(rec.get("text"), str):
        raise DoccanoError(f"{source}: record has no text")
    doc_id = rec.get("doc_id")
    if not doc_id:
        raise DoccanoError(f"{source}: example has no doc_id in its metadata (it was not uploaded by "
                           "`nkner doccano push`)")
    meta = rec.get("nkner") if isinstance(rec.get("nkner"), dict) else {}
    try:
        entities = []
        for d in rec.get("entities") or []:
            label, event_type = parse_span_label(str(d["label"]))
            ent = {"id": int(d["id"]), "start_offset": int(d["start_offset"]),
                   "end_offset": int(d["end_offset"]), "label": label}
            if event_type is not None:
                ent["event_type"] = event_type
            entities.append(ent)
        relations = [{"id": int(d["id"]), "from_id": int(d["from_id"]), "to_id": int(d["to_id"]),
                      "type": str(d["type"])} for d in rec.get("relations") or []]
    except (KeyError, TypeError, ValueError) as exc:
        raise DoccanoError(f"{source} ({doc_id}): malformed span or relation ({exc!r})") from exc
    return {"text": rec["text"], "entities": entities, "relations": relations,
            "meta": {**meta, "doc_id": doc_id, "text_sha256": rec.get("text_sha256")}}


"""A sentence-keyed authoring format for drafting and reviewing gold annotations by reading.

Annotators (people or assistants) write, per sentence of the canonical segmentation, the spans
they decide on by their surface text, and relations between those spans.  This file is compiled
into the offset-based annotation format (``annotations/<doc_id>.jsonl``); it is kept beside it in
``annotations/work/`` as the readable record of what was decided.

Format (JSON)::

    {"doc_id": "004_f906a5d173e9d91e",
     "sentences": [
       {"s": 1, "text": "These were the final words of ...",        # text: a reminder, checked
        "ents": [["North Korean defector", "ACTOR"],
                 ["detained", "EVENT", "detention"],
                 ["Chinese authorities", "ACTOR"]],
        "rels": [["detained", "affected", "North Korean defector"],
                 ["detained", "agent", "Chinese authorities"]]}]}

A surface that occurs more than once in its sentence is written ``"China#2"`` for the second
occurrence (counting non-overlapping matches from the sentence start).  Relations refer to spans by
the same keys.

Command line::

    python -m nkner.corpus.authoring sentences DOC_ID [--start I] [--end J]
    python -m nkner.corpus.authoring compile DOC_ID DRAFT.json [DRAFT2.json ...]
           --status draft|annotated|reviewed|adjudicated --drafted-by NAME [--reviewed-by NAME]
    python -m nkner.corpus.authoring decompile DOC_ID OUT.json
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from nkner.atomic import atomic_write_text
from nkner.corpus.segment import sentence_spans
from nkner.corpus.store import STATUSES, Document, Entity, Relation, load_document, write_document
from nkner.schema import EVENT_TYPE_NAMES, LABEL_NAMES


class AuthoringError(Exception):
    pass


_KEY_RE = re.compile(r"^(.*?)(?:#(\d+))?$", re.DOTALL)


def _locate(sent_text: str, key: str) -> tuple[int, int]:
    m = _KEY_RE.match(key)
    surface, nth = m.group(1), int(m.group(2) or 1)
    pos, found = 0, 0
    while True:
        idx = sent_text.find(surface, pos)
        if idx < 0:
            raise AuthoringError(f"{surface!r} occurrence {nth} not found in sentence")
        found += 1
        if found == nth:
            return idx, idx + len(surface)
        pos = idx + len(surface)


def compile_drafts(doc_id: str, drafts: list[dict]) -> tuple[list[Entity], list[Relation], list[str]]:
    """Resolve sentence-keyed drafts to offset entities and relations; returns (ents, rels, errors)."""
    doc = load_document(doc_id, with_annotations=False)
    sents = sentence_spans(doc.text)
    entities: list[Entity] = []
    relations: list[Relation] = []
    errors: list[str] = []
    seen_sent: set[int] = set()
    taken: dict[tuple[int, int], Entity] = {}
    for draft in drafts:
        if draft.get("doc_id") not in (None, doc_id):
            errors.append(f"draft for {draft.get('doc_id')} given for {doc_id}")
            continue
        for block in draft.get("sentences", []):
            si = block.get("s")
            if not isinstance(si, int) or not 0 <= si < len(sents):
                errors.append(f"sentence index {si!r} out of range (0..{len(sents) - 1})")
                continue
            if si in seen_sent:
                errors.append(f"sentence {si} appears twice in the drafts")
                continue
            seen_sent.add(si)
            s0, s1 = sents[si]
            sent_text = doc.text[s0:s1]
            if "text" in block and block["text"].strip() and not sent_text.startswith(block["text"][:40]):
                errors.append(f"sentence {si}: 'text' does not match the sentence ({sent_text[:50]!r})")
            keys: dict[str, Entity] = {}
            for ent in block.get("ents", []):
                if not isinstance(ent, list) or len(ent) not in (2, 3):
                    errors.append(f"sentence {si}: malformed entity {ent!r}")
                    continue
                key, label = ent[0], ent[1]
                etype = ent[2] if len(ent) == 3 else None
                if label not in LABEL_NAMES:
                    errors.append(f"sentence {si}: {key!r} has unknown label {label!r}")
                    continue
                if label == "EVENT" and etype not in EVENT_TYPE_NAMES:
                    errors.append(f"sentence {si}: EVENT {key!r} needs an event type, got {etype!r}")
                    continue
                if label != "EVENT" and etype is not None:
                    errors.append(f"sentence {si}: {label} {key!r} must not have an event type")
                    continue
                try:
                    a, b = _locate(sent_text, key)
                except AuthoringError as exc:
                    errors.append(f"sentence {si}: {exc}")
                    continue
                start, end = s0 + a, s0 + b
                if (start, end) in taken:
                    errors.append(f"sentence {si}: {key!r} annotated twice")
                    continue
                e = Entity(0, start, end, label, etype)
                taken[(start, end)] = e
                keys[key] = e
                entities.append(e)
            for rel in block.get("rels", []):
                if not isinstance(rel, list) or len(rel) != 3:
                    errors.append(f"sentence {si}: malformed relation {rel!r}")
                    continue
                head, rtype, tail = rel
                if head not in keys or tail not in keys:
                    missing = head if head not in keys else tail
                    errors.append(f"sentence {si}: relation {rel!r} refers to {missing!r}, "
                                  "which is not an entity key of this sentence")
                    continue
                relations.append(Relation(0, id(keys[head]), id(keys[tail]), rtype))
    # assign ids in text order
    entities.sort(key=lambda e: (e.start, e.end))
    py2id = {}
    for i, e in enumerate(entities, 1):
        py2id[id(e)] = i
        e.id = i
    for i, r in enumerate(relations, 1):
        r.id, r.from_id, r.to_id = i, py2id[r.from_id], py2id[r.to_id]
    return entities, relations, errors


def decompile(doc: Document) -> dict:
    """The authoring form of an annotated document (for review in the same format)."""
    sents = sentence_spans(doc.text)
    by_id = doc.entity_by_id()
    blocks = []
    for si, (s0, s1) in enumerate(sents):
        ents = [e for e in sorted(doc.entities, key=lambda e: e.start) if s0 <= e.start and e.end <= s1]
        sent_text = doc.text[s0:s1]
        keys = {}
        rows = []
        for e in ents:
            surface = doc.text[e.start:e.end]
            nth, pos = 0, 0
            while True:
                idx = sent_text.find(surface, pos)
                nth += 1
                if idx < 0 or s0 + idx >= e.start:
                    break
                pos = idx + len(surface)
            key = surface if nth == 1 else f"{surface}#{nth}"
            keys[e.id] = key
            rows.append([key, e.label] + ([e.event_type] if e.label == "EVENT" else []))
        rels = [[keys[r.from_id], r.type, keys[r.to_id]] for r in doc.relations
                if r.from_id in keys and r.to_id in keys]
        blocks.append({"s": si, "text": sent_text, "ents": rows, "rels": rels})
    placed = sum(len(b["ents"]) for b in blocks)
    if placed != len(by_id):
        raise AuthoringError(f"{doc.id}: {len(by_id) - placed} entities lie across sentence boundaries")
    return {"doc_id": doc.id, "sentences": blocks}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nkner.corpus.authoring")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sentences")
    p.add_argument("doc_id")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--end", type=int, default=None)
    p = sub.add_parser("compile")
    p.add_argument("doc_id")
    p.add_argument("drafts", nargs="+")
    p.add_argument("--status", choices=list(STATUSES), default="draft")
    p.add_argument("--drafted-by", required=True)
    p.add_argument("--reviewed-by", default=None)
    p.add_argument("--dry-run", action="store_true")
    p = sub.add_parser("decompile")
    p.add_argument("doc_id")
    p.add_argument("out")
    args = ap.parse_args(argv)

    if args.cmd == "sentences":
        doc = load_document(args.doc_id, with_annotations=False)
        for i, (s0, s1) in enumerate(sentence_spans(doc.text)):
            if i < args.start or (args.end is not None and i >= args.end):
                continue
            print(f"[{i}] ({s0}-{s1}) {doc.text[s0:s1]}")
        return 0
    if args.cmd == "decompile":
        doc = load_document(args.doc_id)
        atomic_write_text(args.out, json.dumps(decompile(doc), ensure_ascii=False, indent=1) + "\n")
        return 0
    drafts = [json.loads(Path(f).read_text(encoding="utf-8")) for f in args.drafts]
    ents, rels, errors = compile_drafts(args.doc_id, drafts)
    for err in errors:
        print(f"{args.doc_id}: {err}", file=sys.stderr)
    print(f"{args.doc_id}: {len(ents)} entities, {len(rels)} relations, {len(errors)} errors")
    doc = load_document(args.doc_id, with_annotations=False)
    doc.entities, doc.relations = ents, rels
    if not errors:  # the same checks `nkner corpus validate` runs, on the compiled record
        from nkner.corpus.validate import validate_record
        rep = validate_record(dict(doc.to_record(), meta=dict(doc.to_record()["meta"], status="draft")),
                              doc.text)
        for prob in rep.errors + rep.misaligned:
            print(str(prob), file=sys.stderr)
            errors.append(str(prob))
    if errors or args.dry_run:
        print(f"{len(errors)} problems; nothing written" if errors or args.dry_run else "", file=sys.stderr)
        return 1 if errors else 0
    annotators = {"drafted_by": args.drafted_by}
    if args.reviewed_by:
        annotators["reviewed_by"] = args.reviewed_by
    doc.meta = {"status": args.status, "annotators": annotators,
                "authoring": [str(Path(f)) for f in args.drafts]}
    path = write_document(doc)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

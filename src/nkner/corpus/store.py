"""Reading and writing the corpus: cleaned texts, metadata and gold annotation files.

The annotation format is doccano's relation JSONL shape, one document per file
(``annotations/<doc_id>.jsonl``, a single line)::

    {"text": "...",
     "entities": [{"id": 1, "start_offset": 0, "end_offset": 5, "label": "ACTOR"},
                  {"id": 2, "start_offset": 6, "end_offset": 13, "label": "EVENT",
                   "event_type": "repatriation"}],
     "relations": [{"id": 1, "from_id": 2, "to_id": 1, "type": "agent"}],
     "meta": {"doc_id": "...", "text_sha256": "...", "schema": "v1",
              "status": "draft|annotated|reviewed|adjudicated",
              "annotators": {"drafted_by": "...", "reviewed_by": "..."}}}

Loading checks ``meta.text_sha256`` against the cleaned text in ``corpus/clean`` so that a changed
text can never silently shift spans.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from nkner.atomic import atomic_write_text
from nkner.schema import SCHEMA_VERSION

REPO_ROOT = Path(__file__).resolve().parents[3]

# Corpus metadata vocabularies (one home; corpus/sources.json uses them, the validator checks them).
SPLITS = ("train", "dev", "test")
GENRES = ("essay", "news", "un", "legal", "court", "government", "ngo", "encyclopedic")
# Annotation statuses: a draft is unfinished and never used as gold; "annotated" is one full careful
# reading pass; "reviewed" adds an independent second pass over the whole document; "adjudicated"
# means two independent full annotations reconciled by a third reader (the test split).
STATUSES = ("draft", "annotated", "reviewed", "adjudicated")
GOLD_STATUSES = ("annotated", "reviewed", "adjudicated")


def data_root() -> Path:
    """Repository root holding ``corpus/`` and ``annotations/`` (override with ``NKNER_DATA``)."""
    return Path(os.environ.get("NKNER_DATA", REPO_ROOT))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class CorpusError(Exception):
    """A corpus or annotation file cannot be used; the message names the file and the problem."""


@dataclass
class Entity:
    id: int
    start: int
    end: int
    label: str
    event_type: str | None = None

    def to_json(self) -> dict:
        d = {"id": self.id, "start_offset": self.start, "end_offset": self.end, "label": self.label}
        if self.event_type is not None:
            d["event_type"] = self.event_type
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Entity":
        return cls(int(d["id"]), int(d["start_offset"]), int(d["end_offset"]), str(d["label"]),
                   d.get("event_type"))


@dataclass
class Relation:
    id: int
    from_id: int
    to_id: int
    type: str

    def to_json(self) -> dict:
        return {"id": self.id, "from_id": self.from_id, "to_id": self.to_id, "type": self.type}

    @classmethod
    def from_json(cls, d: dict) -> "Relation":
        return cls(int(d["id"]), int(d["from_id"]), int(d["to_id"]), str(d["type"]))


@dataclass
class Document:
    """One annotated (or not yet annotated) document of the corpus."""

    id: str
    text: str
    metadata: dict = field(default_factory=dict)
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    meta: dict = field(default_factory=dict)  # annotation meta (status, annotators, ...)

    @property
    def status(self) -> str:
        return self.meta.get("status", "unannotated")

    @property
    def is_gold(self) -> bool:
        """Fully annotated (one complete pass or more), so usable for training and scoring."""
        return self.status in GOLD_STATUSES

    @property
    def split(self) -> str | None:
        return self.metadata.get("split")

    @property
    def genre(self) -> str | None:
        return self.metadata.get("genre")

    @property
    def core(self) -> bool:
        """One of the five source texts the project started from (the identifiable core set)."""
        return bool(self.metadata.get("core"))

    def entity_by_id(self) -> dict[int, Entity]:
        return {e.id: e for e in self.entities}

    def span_text(self, ent: Entity) -> str:
        return self.text[ent.start:ent.end]

    def to_record(self) -> dict:
        """The doccano relation-JSONL record of this document."""
        meta = {"doc_id": self.id, "text_sha256": sha256_text(self.text), "schema": SCHEMA_VERSION,
                "status": self.meta.get("status", "draft"),
                "annotators": self.meta.get("annotators", {})}
        for k, v in self.meta.items():
            meta.setdefault(k, v)
        return {"text": self.text,
                "entities": [e.to_json() for e in sorted(self.entities, key=lambda e: (e.start, e.end))],
                "relations": [r.to_json() for r in self.relations],
                "meta": meta}

    def export_record(self) -> dict:
        """:meth:`to_record` with the corpus metadata researchers select by (``split``, ``genre``,
        ``core``) added to ``meta``; the annotation files keep these in corpus/sources.json only."""
        rec = self.to_record()
        rec["meta"].update(split=self.split, genre=self.genre, core=self.core)
        return rec

    @classmethod
    def from_record(cls, rec: dict, metadata: dict | None = None, source: str = "<record>") -> "Document":
        for key in ("text", "entities", "relations", "meta"):
            if key not in rec:
                raise CorpusError(f"{source}: record has no '{key}' field")
        meta = dict(rec["meta"])
        doc_id = meta.get("doc_id")
        if not doc_id:
            raise CorpusError(f"{source}: meta has no doc_id")
        try:
            ents = [Entity.from_json(e) for e in rec["entities"]]
            rels = [Relation.from_json(r) for r in rec["relations"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise CorpusError(f"{source}: malformed entity or relation ({exc!r})") from exc
        return cls(id=doc_id, text=rec["text"], metadata=metadata or {}, entities=ents,
                   relations=rels, meta=meta)


# --------------------------------------------------------------------------------------------
# paths and files


def raw_dir(root: Path | None = None) -> Path:
    return (root or data_root()) / "corpus" / "raw"


def clean_dir(root: Path | None = None) -> Path:
    return (root or data_root()) / "corpus" / "clean"


def annotations_dir(root: Path | None = None) -> Path:
    return (root or data_root()) / "annotations"


def metadata_path(root: Path | None = None) -> Path:
    return (root or data_root()) / "corpus" / "metadata.json"


def read_text_exact(path: Path) -> str:
    """Read UTF-8 text with no newline translation."""
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def load_metadata(root: Path | None = None) -> dict[str, dict]:
    path = metadata_path(root)
    if not path.exists():
        raise CorpusError(f"{path}: corpus metadata not found")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {d["id"]: d for d in data["documents"]}


def doc_ids(root: Path | None = None) -> list[str]:
    return sorted(load_metadata(root))


def annotation_path(doc_id: str, root: Path | None = None) -> Path:
    return annotations_dir(root) / f"{doc_id}.jsonl"


def read_record(path: Path) -> dict:
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()]
    if len(lines) != 1:
        raise CorpusError(f"{path}: expected exactly one JSON line, found {len(lines)}")
    try:
        return json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}: not valid JSON ({exc})") from exc


def write_document(doc: Document, root: Path | None = None, path: Path | None = None) -> Path:
    path = path or annotation_path(doc.id, root)
    atomic_write_text(path, json.dumps(doc.to_record(), ensure_ascii=False) + "\n")
    return path


def load_document(doc_id: str, root: Path | None = None, with_annotations: bool = True,
                  check_hash: bool = True, metadata: dict | None = None) -> Document:
    """Load one document: cleaned text, metadata (read from corpus/metadata.json unless given) and
    (when present) its gold annotations."""
    metadata = metadata if metadata is not None else load_metadata(root).get(doc_id)
    if metadata is None:
        raise CorpusError(f"unknown document id {doc_id!r}")
    text_path = clean_dir(root) / f"{doc_id}.txt"
    if not text_path.exists():
        raise CorpusError(f"{text_path}: cleaned text missing (run `nkner corpus clean`)")
    text = read_text_exact(text_path)
    doc = Document(id=doc_id, text=text, metadata=metadata)
    ann_path = annotation_path(doc_id, root)
    if with_annotations and ann_path.exists():
        rec = read_record(ann_path)
        loaded = Document.from_record(rec, metadata, source=str(ann_path))
        if check_hash:
            want = rec["meta"].get("text_sha256")
            have = sha256_text(text)
            if want != have:
                raise CorpusError(f"{ann_path}: text_sha256 {want} does not match the cleaned text "
                                  f"{text_path} ({have}); spans would shift")
            if rec["text"] != text:
                raise CorpusError(f"{ann_path}: embedded text differs from {text_path}")
        doc.entities, doc.relations, doc.meta = loaded.entities, loaded.relations, loaded.meta
    return doc


def load(ids: Iterable[str] | None = None, root: Path | None = None, annotated_only: bool = False,
         check_hash: bool = True, *, gold_only: bool = False, split: str | Iterable[str] | None = None,
         genre: str | Iterable[str] | None = None, core: bool | None = None) -> list[Document]:
    """Load the corpus: every document (or ``ids``), with text, metadata, entities and relations.

    Filters: ``gold_only`` keeps fully annotated documents (status annotated, reviewed or
    adjudicated); ``split`` ("train", "dev", "test" or several), ``genre`` (see ``GENRES``) and
    ``core`` (True: the five core texts only; False: only the extension) select by metadata;
    ``annotated_only`` keeps documents with at least one span (drafts included).

    >>> import nkner.corpus
    >>> docs = nkner.corpus.load()                               # everything
    >>> core = nkner.corpus.load(core=True)                      # the five core texts
    >>> test = nkner.corpus.load(split="test", gold_only=True)   # the test split's gold
    """
    splits = _choice(split, SPLITS, "split")
    genres = _choice(genre, GENRES, "genre")
    meta = load_metadata(root)
    wanted = list(ids) if ids is not None else sorted(meta)
    out = []
    for doc_id in wanted:
        m = meta.get(doc_id, {})
        if (splits and m.get("split") not in splits) or (genres and m.get("genre") not in genres) \
                or (core is not None and bool(m.get("core")) != core):
            continue
        doc = load_document(doc_id, root, check_hash=check_hash, metadata=meta.get(doc_id))
        if (annotated_only and not doc.entities) or (gold_only and not doc.is_gold):
            continue
        out.append(doc)
    return out


def _choice(value: str | Iterable[str] | None, allowed: tuple[str, ...], what: str) -> set[str]:
    if value is None:
        return set()
    values = {value} if isinstance(value, str) else set(value)
    bad = sorted(values - set(allowed))
    if bad:
        raise CorpusError(f"unknown {what} {', '.join(map(repr, bad))} (choose from {', '.join(allowed)})")
    return values


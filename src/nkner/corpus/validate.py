"""Validation of annotation records against the schema and the boundary rules.

Every problem names the document, the span (offsets and text) and the rule it breaks.  Errors make
`nkner corpus validate` exit non-zero; warnings (the cross-corpus consistency list) do not.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from nkner.corpus.segment import make_doc, sentence_spans
from nkner.corpus.store import GENRES, SPLITS, STATUSES, CorpusError, Document, annotation_path, \
    data_root, load_document, raw_dir, read_record, sha256_file, sha256_text, doc_ids
from nkner.schema import EVENT_TYPE_NAMES, LABEL_NAMES, RELATION_BY_NAME, SCHEMA_VERSION
from nkner.vocab import DURATION_UNITS, span_opening_qualifiers

LEADING_WORDS = ("the", "a", "an", "in", "since", "to", "of", "on", "at", "by", "from", "for", "with")
# "a hundred", "a dozen", "a year" (= one year): an article that is part of a numeral is allowed
NUMERAL_AFTER_ARTICLE = re.compile(r"^an? (hundred|thousand|million|billion|dozen|few|half|third|quarter|%s)\b"
                                   % "|".join(u for u in DURATION_UNITS if not u.endswith("s")), re.IGNORECASE)
# comparison and approximation words belong to a NUMBER ("at least 406", "up to 600", "in excess of 1,000")
NUMBER_QUALIFIER = re.compile(r"^(?:%s)(?!\w)" % "|".join(map(re.escape, span_opening_qualifiers())), re.IGNORECASE)
# place names whose article is part of the name
NAMES_WITH_ARTICLE = re.compile(r"^The (Hague|Gambia|Bahamas|Netherlands)\b")
# a person's initial is not an article: "A Khan" (an ACTOR), as against "A report"
INITIAL_NAME = re.compile(r"^A [A-Z][a-z]+$")
TRAILING_PUNCT = tuple(".,;:!?\"“”‘’'(")


@dataclass
class Problem:
    doc_id: str
    rule: str
    message: str
    span: tuple[int, int] | None = None
    span_text: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.span:
            where = f" [{self.span[0]}:{self.span[1]}]" + (f" {self.span_text!r}" if self.span_text else "")
        return f"{self.doc_id}:{where} {self.rule}: {self.message}"


@dataclass
class Report:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    misaligned: list[Problem] = field(default_factory=list)
    documents: int = 0
    entities: int = 0
    relations: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.misaligned


def validate_record(rec: dict, expected_text: str | None = None, source: str = "<record>") -> Report:
    """Validate one relation-JSONL record (a dict); ``expected_text`` is the cleaned text, if known."""
    report = Report(documents=1)
    doc_id = (rec.get("meta") or {}).get("doc_id", source)
    err = lambda rule, msg, span=None, text=None: report.errors.append(  # noqa: E731
        Problem(doc_id, rule, msg, span, text))
    try:
        doc = Document.from_record(rec, source=source)
    except CorpusError as exc:
        err("format", str(exc))
        return report
    text = doc.text
    meta = doc.meta
    if meta.get("text_sha256") != sha256_text(text):
        err("hash", f"meta.text_sha256 {meta.get('text_sha256')} does not match the record's text")
    if expected_text is not None and text != expected_text:
        err("hash", "the record's text differs from the cleaned corpus text")
    if meta.get("schema") != SCHEMA_VERSION:
        err("schema", f"schema version {meta.get('schema')!r}, expected {SCHEMA_VERSION!r}")
    if meta.get("status") not in STATUSES:
        err("status", f"status {meta.get('status')!r} is not one of {', '.join(STATUSES)}")
    report.entities = len(doc.entities)
    report.relations = len(doc.relations)

    ids = [e.id for e in doc.entities]
    if len(ids) != len(set(ids)):
        err("ids", "duplicate entity ids")
    spacy_doc = make_doc(text)
    starts = {t.idx for t in spacy_doc}
    ends = {t.idx + len(t.text) for t in spacy_doc}
    for e in doc.entities:
        span = (e.start, e.end)
        if not (0 <= e.start < e.end <= len(text)):
            err("offsets", f"offsets out of range for a text of {len(text)} characters", span)
            continue
        s = text[e.start:e.end]
        if e.label not in LABEL_NAMES:
            err("label", f"unknown label {e.label!r}", span, s)
        if e.label == "EVENT" and e.event_type not in EVENT_TYPE_NAMES:
            err("event_type", f"EVENT needs an event type from the closed list, got {e.event_type!r}", span, s)
        if e.label != "EVENT" and e.event_type is not None:
            err("event_type", f"{e.label} span must not carry an event type", span, s)
        if s != s.strip():
            err("whitespace", "span has leading or trailing whitespace", span, s)
        first = s.split(" ", 1)[0].lower()
        if " " in s and first in LEADING_WORDS and not NUMERAL_AFTER_ARTICLE.match(s) \
                and not (e.label == "NUMBER" and NUMBER_QUALIFIER.match(s)) \
                and not (e.label == "ACTOR" and INITIAL_NAME.match(s)) and not NAMES_WITH_ARTICLE.match(s):
            err("leading-word", f"span starts with {first!r} (articles and prepositions stay outside)", span, s)
        if s.endswith(TRAILING_PUNCT) and not re.search(r"\b[A-Z]\.$|\b(No|Vol|Art|Inc|Ltd|Co|Stat|Sec)\.$", s):
            err("trailing-punct", "span ends with punctuation", span, s)
        if e.start not in starts or e.end not in ends:
            report.misaligned.append(Problem(doc_id, "token-alignment",
                                             "span boundary falls inside a token", span, s))
    ordered = sorted((e for e in doc.entities if 0 <= e.start < e.end <= len(text)), key=lambda e: e.start)
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            err("overlap", f"overlaps [{a.start}:{a.end}] {text[a.start:a.end]!r}", (b.start, b.end),
                text[b.start:b.end])

    by_id = doc.entity_by_id()
    sents = sentence_spans(text)

    def sent_of(e):
        for i, (s0, s1) in enumerate(sents):
            if s0 <= e.start and e.end <= s1:
                return i
        return None

    seen = set()
    for r in doc.relations:
        h, t = by_id.get(r.from_id), by_id.get(r.to_id)
        if h is None or t is None:
            err("relation", f"relation {r.id} refers to a missing entity id")
            continue
        rt = RELATION_BY_NAME.get(r.type)
        hs = text[h.start:h.end]
        label = f"relation {r.id} {r.type}: {hs!r} -> {text[t.start:t.end]!r}"
        if rt is None:
            err("relation-type", f"{label}: unknown relation type", (h.start, h.end), hs)
            continue
        if h.label not in rt.heads or t.label not in rt.tails:
            err("relation-endpoints", f"{label}: {h.label} -> {t.label} not allowed "
                f"(allowed {'/'.join(rt.heads)} -> {'/'.join(rt.tails)})", (h.start, h.end), hs)
        sh, st = sent_of(h), sent_of(t)
        if sh is None or sh != st:
            err("relation-sentence", f"{label}: ends are not in one sentence", (h.start, h.end), hs)
        key = (r.from_id, r.to_id, r.type)
        if key in seen:
            err("relation-duplicate", f"{label}: duplicate relation", (h.start, h.end), hs)
        if r.from_id == r.to_id:
            err("relation-self", f"{label}: relation from a span to itself", (h.start, h.end), hs)
        seen.add(key)
    return report


def consistency_warnings(docs: list[Document]) -> list[Problem]:
    """Surface strings labelled differently across the corpus (a list to review, not errors)."""
    labels: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for doc in docs:
        for e in doc.entities:
            labels[doc.text[e.start:e.end].lower()][e.label].append(f"{doc.id}@{e.start}")
    out = []
    for surface, by_label in sorted(labels.items()):
        if len(by_label) > 1:
            parts = "; ".join(f"{lab} x{len(locs)}" for lab, locs in sorted(by_label.items()))
            out.append(Problem("corpus", "label-consistency", f"{surface!r} labelled {parts}"))
    return out


# Provenance a document of the extension must record (the core texts came from the project's user).
PROVENANCE_KEYS = ("title", "publisher", "genre", "split", "licence", "rights_note", "retrieved", "language")


def _publisher_key(publisher: str | None) -> str:
    return " ".join((publisher or "").lower().replace("the ", " ").split())


def validate_sources(root=None) -> list[Problem]:
    """Check corpus/sources.json: vocabularies, provenance, raw files, and the split contract (no
    test publisher appears in train or dev)."""
    from nkner.corpus.build import sources_path

    root = root or data_root()
    path = sources_path(root)
    try:
        sources = json.loads(path.read_text(encoding="utf-8"))["documents"]
    except (OSError, ValueError, KeyError) as exc:
        return [Problem(str(path), "sources", f"cannot read the document list ({exc})")]
    problems: list[Problem] = []
    seen: set[str] = set()
    publishers: dict[str, set[str]] = {"test": set(), "other": set()}
    for src in sources:
        doc_id = src.get("id", "?")
        bad = lambda rule, msg: problems.append(Problem(doc_id, rule, msg))  # noqa: E731
        if doc_id in seen:
            bad("sources", "listed twice in corpus/sources.json")
        seen.add(doc_id)
        excerpt = bool(src.get("excerpt_of"))  # an excerpt of a user's report, pulled from doccano
        if src.get("genre") not in GENRES and not (excerpt and src.get("genre") is None):
            bad("sources", f"genre {src.get('genre')!r} is not one of {', '.join(GENRES)}")
        if src.get("split") not in SPLITS:
            bad("sources", f"split {src.get('split')!r} is not one of {', '.join(SPLITS)}")
        raw = raw_dir(root) / f"{doc_id}.txt"
        if not raw.exists():
            bad("sources", f"raw text {raw} is missing")
        if excerpt:  # its provenance is the report it was cut from: path, offsets and hashes
            missing = [k for k in ("path", "start", "end", "report_sha256") if src["excerpt_of"].get(k) is None]
            if missing:
                bad("provenance", f"excerpt_of lacks {', '.join(missing)}")
        elif not src.get("core"):
            missing = [k for k in PROVENANCE_KEYS if not src.get(k)]
            if not src.get("url") and not all(src.get(k) for k in ("repository", "path", "commit")):
                missing.append("url or repository/path/commit")
            if missing:
                bad("provenance", f"missing {', '.join(missing)}")
            if raw.exists() and sha256_file(raw)[:16] != doc_id.partition("_")[2]:
                bad("provenance", f"the id's hash does not match the bytes of {raw} (raw texts never change)")
        key = _publisher_key(src.get("publisher"))
        if key:
            publishers["test" if src.get("split") == "test" else "other"].add(key)
        elif src.get("split") == "test":
            bad("split", "a test document needs a publisher, so that it can be held out by publisher")
    shared = publishers["test"] & publishers["other"]
    for src in sources:
        if src.get("split") == "test" and _publisher_key(src.get("publisher")) in shared:
            problems.append(Problem(src["id"], "split", f"publisher {src.get('publisher')!r} also appears in "
                                                        "train or dev; test publishers must be held out"))
    return problems


def validate_corpus(ids: list[str] | None = None) -> Report:
    """Validate corpus/sources.json and every annotation file present (documents without one are
    skipped)."""
    total = Report()
    if ids is None:
        total.errors += validate_sources()
    docs = []
    for doc_id in ids or doc_ids():
        path = annotation_path(doc_id)
        if not path.exists():
            continue
        try:
            rec = read_record(path)
            clean = load_document(doc_id, with_annotations=False).text
        except CorpusError as exc:
            total.errors.append(Problem(doc_id, "format", str(exc)))
            continue
        rep = validate_record(rec, clean, source=str(path))
        total.errors += rep.errors
        total.misaligned += rep.misaligned
        total.documents += 1
        total.entities += rep.entities
        total.relations += rep.relations
        if not rep.errors:
            docs.append(Document.from_record(rec, source=str(path)))
    total.warnings = consistency_warnings(docs)
    return total

"""Active learning for doccano: which excerpts of new reports to annotate next.

The idea of Prodigy's ``ner.teach``: annotate first what the model is least sure about.  A report
is cut into sentences (or paragraphs); the trained pipeline runs on each excerpt, and every
decision it takes near its own decision threshold counts as uncertain:

* **event triggers**: the trigger verifier's P(event) for each EVENT the NER found (dropped below
  ``drop_below``) and for each trigger candidate outside the entities (added at ``add_at``);
* **event types**: the event typer's probability of the chosen type (the lower, the less sure);
* **relations**: the relation extractor's best allowed type for every candidate pair, against the
  relation threshold (a pair just under it is as uncertain as a pair just over it).

The spaCy NER itself (ACTOR, DATE, ...) is a greedy transition model that gives no scores, so its
spans do not count.  Each decision's uncertainty is 1 at its threshold and falls linearly to 0 at
certainty (:func:`margin_uncertainty`); an excerpt's score is the sum over its decisions per word,
so that the N excerpts pushed buy the most uncertainty per annotated word.

>>> segments = excerpts_of(Path("report.txt"))          # sentences of a report, cleaned
>>> ranked = rank(score_segments(nlp, segments), "uncertain")
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from nkner.corpus.clean import clean_text
from nkner.corpus.segment import sentence_spans
from nkner.corpus.store import Entity, Relation, read_text_exact, sha256_text
from nkner.doccano import DoccanoError

STRATEGIES = ("uncertain", "random")
UNITS = ("sentence", "paragraph")
#: excerpts shorter than this (headings, list items, reference lines) are never proposed
MIN_WORDS = 5
EXCERPT_PREFIX = "ex_"


def margin_uncertainty(p: float, threshold: float) -> float:
    """1 when ``p`` sits on ``threshold``, falling linearly to 0 at p = 0 or p = 1."""
    span = threshold if p < threshold else 1.0 - threshold
    if span <= 0:
        return 0.0
    return max(0.0, 1.0 - abs(p - threshold) / span)


@dataclass
class Decision:
    """One decision of the model with its score and the threshold it was taken against."""

    kind: str  # "trigger", "event_type" or "relation"
    what: str  # the text it is about
    score: float
    threshold: float
    uncertainty: float


@dataclass
class Segment:
    """An excerpt of a report: where it comes from, its text, and (once scored) the model's view."""

    source: str  # the report's path as given
    start: int  # offsets of the excerpt in the report as read
    end: int
    text: str  # the excerpt as annotated (cleaned like corpus texts)
    report_sha256: str
    decisions: list[Decision] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)  # model pre-annotations, excerpt offsets
    relations: list[Relation] = field(default_factory=list)

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def uncertainty(self) -> float:
        """Summed uncertainty of the model's decisions per word of the excerpt."""
        return sum(d.uncertainty for d in self.decisions) / max(self.words, 1)

    @property
    def doc_id(self) -> str:
        """Corpus id of the excerpt once pulled: the same text always gets the same id."""
        return EXCERPT_PREFIX + sha256_text(self.text)[:16]

    def provenance(self) -> dict:
        """What is recorded with the excerpt in doccano and, after a pull, in the corpus."""
        return {"path": self.source, "start": self.start, "end": self.end, "report_sha256": self.report_sha256,
                "excerpt_sha256": sha256_text(self.text)}


def unit_spans(text: str, unit: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence (the corpus's sentence splitter) or paragraph (text between
    line breaks), whitespace trimmed."""
    if unit == "sentence":
        return sentence_spans(text)
    if unit == "paragraph":
        out = []
        for m in re.finditer(r"[^\n]+", text):
            body = m.group().strip()
            if body:
                start = m.start() + m.group().index(body)
                out.append((start, start + len(body)))
        return out
    raise DoccanoError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")


def excerpts_of(path: Path, unit: str = "sentence", text: str | None = None) -> list[Segment]:
    """The excerpts of one report (read as UTF-8 unless ``text`` is given), cleaned like corpus texts."""
    path = Path(path)
    if text is None:
        if not path.is_file():
            raise DoccanoError(f"{path}: no such file (--from takes text files of reports)")
        try:
            text = read_text_exact(path)
        except UnicodeDecodeError as exc:
            raise DoccanoError(f"{path}: not UTF-8 text ({exc})") from exc
    report_sha = sha256_text(text)
    out = []
    for start, end in unit_spans(text, unit):
        excerpt = clean_text(text[start:end]).text  # as the corpus holds it: ends with a line break
        if len(excerpt.split()) >= MIN_WORDS:
            out.append(Segment(str(path), start, end, excerpt, report_sha))
    return out


def score_segments(nlp, segments: list[Segment], batch_size: int = 64) -> list[Segment]:
    """Run the pipeline on each excerpt, recording its uncertain decisions and pre-annotations."""
    from nkner.pipeline.features import entity_labels_by_token, is_trigger_candidate

    docs = [nlp.make_doc(s.text) for s in segments]
    rel_threshold = None
    for name, proc in nlp.pipeline:
        if name == "nkner_event_triggers" and getattr(proc, "model", None) is not None and proc.model.is_trained:
            for doc, seg in zip(docs, segments):
                labels_of = entity_labels_by_token(doc)
                events = [e for e in doc.ents if e.label_ == "EVENT"]
                covered = {t.i for e in doc.ents for t in e}
                cands = [t for t in doc if t.i not in covered and is_trigger_candidate(t)]
                if proc.drop_below > 0 and events:
                    for e, p in zip(events, proc.scores([e.root for e in events], labels_of)):
                        seg.decisions.append(Decision("trigger", e.text, float(p), proc.drop_below,
                                                      margin_uncertainty(float(p), proc.drop_below)))
                if proc.add_at <= 1 and cands:
                    for t, p in zip(cands, proc.scores(cands, labels_of)):
                        seg.decisions.append(Decision("trigger", t.text, float(p), proc.add_at,
                                                      margin_uncertainty(float(p), proc.add_at)))
        if name == "nkner_relations":
            # every candidate pair's best type and score: the component decodes against threshold 0,
            # and the relations it would keep are those at or over its own threshold
            rel_threshold, proc.threshold = proc.threshold, 0.0
            try:
                docs = [proc(d) for d in docs]
            finally:
                proc.threshold = rel_threshold
        else:
            docs = list(proc.pipe(docs, batch_size=batch_size)) if hasattr(proc, "pipe") else [proc(d) for d in docs]
    # an event type's probability is at least 1/k (k types): uncertainty 1 there, 0 at probability 1
    k = len(nlp.get_pipe("nkner_event_typer").model.classes) if "nkner_event_typer" in nlp.pipe_names else 0
    for doc, seg in zip(docs, segments):
        ids = {}
        seg.entities, seg.relations = [], []
        for e in doc.ents:
            event_type = e._.event_type if e.label_ == "EVENT" else None
            seg.entities.append(Entity(len(seg.entities) + 1, e.start_char, e.end_char, e.label_, event_type))
            ids[(e.start_char, e.end_char)] = seg.entities[-1].id
            if e.label_ == "EVENT" and e._.event_score is not None and k > 1:
                p = e._.event_score
                seg.decisions.append(Decision("event_type", f"{e.text} ({event_type})", p, 1.0 / k,
                                              max(0.0, (1.0 - p) / (1.0 - 1.0 / k))))
        for r in doc._.relations or []:
            head, tail = doc.char_span(*r["head"]), doc.char_span(*r["tail"])
            what = f"{r['type']}: {head.text if head else '?'} -> {tail.text if tail else '?'}"
            if rel_threshold is not None:
                seg.decisions.append(Decision("relation", what, r["score"], rel_threshold,
                                              margin_uncertainty(r["score"], rel_threshold)))
            h, t = ids.get(tuple(r["head"])), ids.get(tuple(r["tail"]))
            if h and t and (rel_threshold is None or r["score"] >= rel_threshold):
                seg.relations.append(Relation(len(seg.relations) + 1, h, t, r["type"]))
    return segments


def rank(segments: Iterable[Segment], strategy: str, seed: int = 0) -> list[Segment]:
    """Excerpts in the order to annotate them: most uncertainty per word first, or a random order.

    The same text is proposed once (the first time it occurs).
    """
    if strategy not in STRATEGIES:
        raise DoccanoError(f"unknown selection {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    seen, unique = set(), []
    for s in segments:
        if s.doc_id not in seen:
            seen.add(s.doc_id)
            unique.append(s)
    if strategy == "random":
        random.Random(seed).shuffle(unique)
        return unique
    return sorted(unique, key=lambda s: (-s.uncertainty, s.source, s.start))

"""Extraction: load the pipeline, run it over reports, produce the contract's objects.

Python API::

    import nkner
    nlp = nkner.load()                       # the shipped default pipeline (or nkner.load(path))
    report = nkner.extract("China deported 600 North Koreans in October 2023.")
    reports = nkner.extract(["text one", "text two"])

Long reports are processed chunk by chunk (chunks end at line breaks, and sentences never cross a
line break), so memory stays bounded; offsets are always code-point offsets into the whole text as
decoded.
"""
from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from nkner.extract.facts import doc_objects, merge_chunks
from nkner.extract.inputs import CHUNK_CHARS, InputError, Source, language_warning, split_text
from nkner.pipeline.package import default_model_path
from nkner.schema import SCHEMA_VERSION


class ModelError(Exception):
    pass


def model_path(model: str | Path | None = None) -> Path:
    path = Path(model or os.environ.get("NKNER_MODEL") or default_model_path())
    if not (path / "config.cfg").exists():
        raise ModelError(f"no nkner pipeline at {path} (config.cfg missing): train one with `nkner train` "
                         "or pass --model")
    return path


@lru_cache(maxsize=4)
def _load(path: str):
    import spacy

    return spacy.load(path)  # the components are registered through entry points (pyproject.toml)


def load(model: str | Path | None = None):
    """The nkner spaCy pipeline (default: the shipped model; env NKNER_MODEL overrides)."""
    return _load(str(model_path(model).resolve()))


def model_info(nlp) -> dict:
    """The contract's ``model`` object (plus ``pipeline``: which trained pipeline produced it)."""
    return {"name": "nkner", "version": nlp.meta.get("version", ""),
            "schema": nlp.meta.get("nkner", {}).get("schema", SCHEMA_VERSION),
            "pipeline": nlp.meta.get("name", "")}


def _with_date(nlp, text: str, doc_date: str | None):
    doc = nlp.make_doc(text)
    doc._.doc_date = doc_date
    return doc


class NotEnglishWarning(UserWarning):
    """A text given to :func:`extract` does not look English."""


def batch_size_for(largest: int) -> int:
    """Texts per ``nlp.pipe`` batch when the largest input has ``largest`` characters (or bytes): a
    batch stays within about 80,000 characters (8 chunks of a long report, up to 64 short texts),
    since memory grows with a batch's text."""
    return max(8, min(64, 8 * CHUNK_CHARS // max(min(largest, CHUNK_CHARS), 1)))


def _per_input(piped: Iterable[tuple]) -> Iterator[tuple[tuple, Iterator[tuple]]]:
    """Group ``nlp.pipe(..., as_tuples=True)`` output, whose contexts start with the input's index,
    by input: (context of its first chunk, iterator over its (doc, context) pairs).  Each group's
    iterator must be consumed before the next group is taken."""
    for _, group in itertools.groupby(piped, key=lambda item: item[1][0]):
        first = next(group)
        yield first[1], itertools.chain([first], group)


def extract_texts(texts: Iterable[str], nlp=None, doc_date: str | None = None, names: Iterable[str] | None = None,
                  batch_size: int | None = None) -> Iterator[dict]:
    """The contract object of each text, in order.  All texts (each cut into chunks at line breaks)
    go through one ``nlp.pipe`` call, so short texts are batched together."""
    import warnings

    nlp = nlp or load()
    if batch_size is None:
        texts = texts if isinstance(texts, (list, tuple)) else list(texts)
        batch_size = batch_size_for(max(map(len, texts), default=0))
    info = model_info(nlp)
    names = iter(names) if names is not None else (f"<text {i}>" for i in itertools.count())

    def stream():
        for k, text in enumerate(texts):
            name = next(names)
            if (msg := language_warning(text)) is not None:
                warnings.warn(f"{name}: {msg}", NotEnglishWarning, stacklevel=4)
            head = {"source": name, "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    "model": info}
            for offset, chunk in split_text(text):
                yield _with_date(nlp, chunk, doc_date), (k, offset, head)

    for (_, _, head), chunks in _per_input(nlp.pipe(stream(), as_tuples=True, batch_size=batch_size)):
        yield merge_chunks(head, (doc_objects(doc, offset) for doc, (_, offset, _) in chunks))


def extract_text(text: str, nlp=None, source: str = "<text>", doc_date: str | None = None) -> dict:
    """The contract object for one text."""
    return next(extract_texts([text], nlp, doc_date=doc_date, names=[source]))


def extract(text_or_texts: str | Iterable[str], nlp=None, doc_date: str | None = None):
    """Extract entities and facts: a dict for one text, a list of dicts for several (batched through
    one ``nlp.pipe``).  ``doc_date`` (YYYY-MM-DD) resolves relative dates such as "last year"."""
    if isinstance(text_or_texts, str):
        return extract_text(text_or_texts, nlp, doc_date=doc_date)
    return list(extract_texts(text_or_texts, nlp, doc_date=doc_date))


def annotate(text: str, nlp=None):
    """Model pre-annotation in the corpus format: (entities, relations), e.g. for doccano."""
    from nkner.corpus.store import Entity, Relation

    nlp = nlp or load()
    ents, rels = [], []
    for offset, chunk in split_text(text):
        doc = nlp(chunk)
        ids = {}
        for e in doc.ents:
            ent = Entity(len(ents) + 1, e.start_char + offset, e.end_char + offset, e.label_,
                         e._.event_type if e.label_ == "EVENT" else None)
            ids[(e.start_char, e.end_char)] = ent.id
            ents.append(ent)
        for r in doc._.relations or []:
            h, t = ids.get(tuple(r["head"])), ids.get(tuple(r["tail"]))
            if h and t:
                rels.append(Relation(len(rels) + 1, h, t, r["type"]))
    return ents, rels


@dataclass
class Chunked:
    """A report being processed: its header and its per-chunk results (a generator)."""
    header: dict
    chunks: Iterator[tuple[list[dict], list[dict], list[dict]]]
    source: Source
    length: int = 0                    # its text's length in code points
    warnings: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.source.path


def process_sources(sources: list[Source], nlp, n_process: int = 1, on_done=None, on_chunk=None,
                    doc_date: str | None = None, batch_size: int | None = None) -> Iterator[dict | Chunked]:
    """For each source, yield an error object or a :class:`Chunked` report (consume its chunks
    before advancing).  All sources go through one ``nlp.pipe`` call, so many short reports are
    batched together.  Each source is hashed (and so fully decoded and checked) before its first
    chunk, so a bad input fails before any of its output is written.  ``on_chunk(n_chars)`` is
    called after each chunk, ``on_done(source)`` after each source.  ``batch_size`` defaults to
    :func:`batch_size_for` the largest input."""
    info = model_info(nlp)
    if batch_size is None:
        batch_size = batch_size_for(max([s.path.stat().st_size for s in sources if s.path.exists()] or [0]))

    def stream():
        for k, src in enumerate(sources):
            try:
                digest, length, first = src.sha256()
            except (InputError, OSError) as exc:
                yield nlp.make_doc(""), (k, 0, {"source": src.name, "error": str(exc)}, 0, [])
                continue
            header = {"source": src.name, "text_sha256": digest, "model": info}
            if src.kind != "text":
                header["text"] = src.extracted_text()
            notes = [w for w in [language_warning(first)] if w]
            for offset, text in src.chunks():
                yield _with_date(nlp, text, doc_date), (k, offset, header, length, notes)

    piped = nlp.pipe(stream(), as_tuples=True, n_process=n_process, batch_size=batch_size)
    for (k, _, header, length, notes), items in _per_input(piped):
        src = sources[k]
        if "error" in header:
            yield header
            if on_done:
                on_done(src)
            continue

        def chunk_iter(items=items, src=src):
            for doc, (_, offset, *_) in items:
                yield doc_objects(doc, offset)
                if on_chunk:
                    on_chunk(len(doc.text))
            if on_done:
                on_done(src)
        yield Chunked(header, chunk_iter(), src, length, notes)

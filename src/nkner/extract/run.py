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
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from nkner.extract.facts import doc_objects
from nkner.extract.inputs import CHUNK_CHARS, InputError, Source, iter_text, text_sha256
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

    import nkner.pipeline.components  # noqa: F401
    import nkner.pipeline.triggers  # noqa: F401
    import nkner.pipeline.normalizer  # noqa: F401
    return spacy.load(path)


def load(model: str | Path | None = None):
    """The nkner spaCy pipeline (default: the shipped model; env NKNER_MODEL overrides)."""
    return _load(str(model_path(model).resolve()))


def model_info(nlp) -> dict:
    """The contract's ``model`` object (plus ``pipeline``: which trained pipeline produced it)."""
    return {"name": "nkner", "version": nlp.meta.get("version", ""),
            "schema": nlp.meta.get("nkner", {}).get("schema", SCHEMA_VERSION),
            "pipeline": nlp.meta.get("name", "")}


def _split(text: str, size: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + size)
        if end < len(text):
            cut = text.rfind("\n", pos, end)
            if cut <= pos + size // 2:
                cut = text.rfind(" ", pos, end)
            if cut > pos:
                end = cut + 1
        yield pos, text[pos:end]
        pos = end


def extract_text(text: str, nlp=None, source: str = "<text>", doc_date: str | None = None) -> dict:
    """The contract object for one text."""
    nlp = nlp or load()
    obj = {"source": source, "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
           "model": model_info(nlp), "entities": [], "facts": [], "statements": []}
    chunks = list(_split(text)) or [(0, "")]
    docs = nlp.pipe((_with_date(nlp, c, doc_date) for _, c in chunks))
    for (offset, _), doc in zip(chunks, docs):
        e, f, s = doc_objects(doc, offset)
        obj["entities"] += e
        obj["facts"] += f
        obj["statements"] += s
    return obj


def _with_date(nlp, text: str, doc_date: str | None):
    doc = nlp.make_doc(text)
    doc._.doc_date = doc_date
    return doc


def extract(text_or_texts: str | Iterable[str], nlp=None, doc_date: str | None = None):
    """Extract entities and facts: a dict for one text, a list of dicts for several."""
    nlp = nlp or load()
    if isinstance(text_or_texts, str):
        return extract_text(text_or_texts, nlp, doc_date=doc_date)
    return [extract_text(t, nlp, source=f"<text {i}>", doc_date=doc_date) for i, t in enumerate(text_or_texts)]


def annotate(text: str, nlp=None):
    """Model pre-annotation in the corpus format: (entities, relations), e.g. for doccano."""
    from nkner.corpus.store import Entity, Relation

    nlp = nlp or load()
    ents, rels = [], []
    for offset, chunk in _split(text):
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
    path: Path


def process_sources(sources: list[Source], nlp, n_process: int = 1, on_done=None,
                    doc_date: str | None = None) -> Iterator[dict | Chunked]:
    """For each source, yield an error object or a :class:`Chunked` report (consume its chunks
    before advancing).  Each source is hashed (and so fully decoded and checked) first, so a bad
    input fails before any of its output is written."""
    info = model_info(nlp)
    for src in sources:
        try:
            digest = text_sha256(src.path)
        except (InputError, OSError) as exc:
            yield {"source": src.name, "error": str(exc)}
            if on_done:
                on_done(src)
            continue
        header = {"source": src.name, "text_sha256": digest, "model": info}

        def chunk_iter(src=src):
            pieces = iter_text(src.path)
            offsets = []

            def texts():
                for offset, text in pieces:
                    offsets.append(offset)
                    yield _with_date(nlp, text, doc_date)
            for i, doc in enumerate(nlp.pipe(texts(), n_process=n_process, batch_size=8)):
                yield doc_objects(doc, offsets[i])
            if on_done:
                on_done(src)
        yield Chunked(header, chunk_iter(), src.path)

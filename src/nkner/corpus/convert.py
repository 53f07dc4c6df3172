"""Conversions of corpus documents: spaCy Docs and DocBin, pandas DataFrames, CoNLL/IOB2, datasets.

spaCy Docs carry entities in ``doc.ents`` (``doc.char_span`` with an explicit alignment mode; spans
that do not align are counted and reported, never silently dropped), event types in
``span._.event_type``, relations in ``doc._.relations`` (a list of dicts with ``head`` and ``tail``
character offsets, ``type``) and the document metadata in ``doc.user_data["nkner"]``.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Iterable

from spacy.language import Language
from spacy.tokens import Doc, DocBin

from nkner.corpus.segment import make_doc
from nkner.corpus.store import Document, Entity, Relation

log = logging.getLogger(__name__)

import nkner.pipeline.extensions  # noqa: F401,E402  (registers span._.event_type, doc._.relations, ...)


@dataclass
class AlignmentReport:
    """Spans that ``doc.char_span(..., alignment_mode="strict")`` could not place on tokens."""

    total: int = 0
    misaligned: list[tuple[str, int, int, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{len(self.misaligned)} of {self.total} spans did not align with token boundaries"


def to_spacy(doc: Document, nlp: Language | None = None, report: AlignmentReport | None = None) -> Doc:
    """A spaCy Doc of ``doc`` (tokenized by the canonical tokenizer unless ``nlp`` is given)."""
    sdoc = nlp.make_doc(doc.text) if nlp is not None else make_doc(doc.text)
    report = report if report is not None else AlignmentReport()
    spans = []
    for e in sorted(doc.entities, key=lambda e: e.start):
        report.total += 1
        span = sdoc.char_span(e.start, e.end, label=e.label, alignment_mode="strict")
        if span is None:
            report.misaligned.append((doc.id, e.start, e.end, doc.text[e.start:e.end]))
            log.warning("%s: span [%d:%d] %r does not align with tokens; skipped", doc.id, e.start, e.end,
                        doc.text[e.start:e.end])
            continue
        spans.append((span, e))
    sdoc.ents = [s for s, _ in spans]
    for span, e in spans:
        # span extension values live in doc.user_data keyed by character offsets, so they apply to
        # the spans of doc.ents and survive DocBin serialization (store_user_data=True)
        span._.event_type = e.event_type
    by_id = doc.entity_by_id()
    sdoc._.relations = [
        {"head": [by_id[r.from_id].start, by_id[r.from_id].end],
         "tail": [by_id[r.to_id].start, by_id[r.to_id].end], "type": r.type}
        for r in doc.relations if r.from_id in by_id and r.to_id in by_id]
    sdoc._.doc_id = doc.id
    # kept as a JSON string: DocBin's msgpack would turn lists into tuples
    sdoc.user_data["nkner"] = json.dumps({"meta": doc.meta, "metadata": doc.metadata}, ensure_ascii=False)
    return sdoc


def from_spacy(sdoc: Doc) -> Document:
    """Back from a spaCy Doc made by :func:`to_spacy` (ids are reassigned in text order)."""
    ents = [Entity(i, s.start_char, s.end_char, s.label_, s._.event_type)
            for i, s in enumerate(sdoc.ents, 1)]
    by_offsets = {(e.start, e.end): e.id for e in ents}
    rels = []
    for i, r in enumerate(sdoc._.relations or [], 1):
        rels.append(Relation(i, by_offsets[tuple(r["head"])], by_offsets[tuple(r["tail"])], r["type"]))
    info = json.loads(sdoc.user_data.get("nkner", "{}"))
    return Document(id=sdoc._.doc_id, text=sdoc.text, metadata=info.get("metadata", {}), entities=ents,
                    relations=rels, meta=info.get("meta", {}))


def to_docbin(docs: Iterable[Document], report: AlignmentReport | None = None) -> DocBin:
    db = DocBin(store_user_data=True)
    for doc in docs:
        db.add(to_spacy(doc, report=report))
    return db


def docs_from_docbin(db: DocBin, nlp: Language | None = None) -> list[Doc]:
    from nkner.corpus.segment import segmenter
    return list(db.get_docs((nlp or segmenter()).vocab))


# ------------------------------------------------------------------------------------- pandas


def dataframes(docs: list[Document]):
    """(documents, entities, relations) as pandas DataFrames."""
    import pandas as pd

    drows, erows, rrows = [], [], []
    for d in docs:
        m = d.metadata
        drows.append({"doc_id": d.id, "title": m.get("title"), "author": m.get("author"),
                      "publisher": m.get("publisher"), "date": m.get("date"), "kind": m.get("kind"),
                      "language": m.get("language"), "sha256_clean": m.get("sha256_clean"),
                      "split": d.split, "genre": d.genre, "core": d.core,
                      "status": d.status, "n_chars": len(d.text), "n_words": len(d.text.split()),
                      "n_entities": len(d.entities), "n_relations": len(d.relations), "text": d.text})
        by_id = d.entity_by_id()
        for e in d.entities:
            erows.append({"doc_id": d.id, "entity_id": e.id, "start": e.start, "end": e.end,
                          "label": e.label, "event_type": e.event_type, "text": d.text[e.start:e.end]})
        for r in d.relations:
            h, t = by_id[r.from_id], by_id[r.to_id]
            rrows.append({"doc_id": d.id, "relation_id": r.id, "type": r.type,
                          "from_id": r.from_id, "from_label": h.label, "from_text": d.text[h.start:h.end],
                          "to_id": r.to_id, "to_label": t.label, "to_text": d.text[t.start:t.end]})
    return pd.DataFrame(drows), pd.DataFrame(erows), pd.DataFrame(rrows)


# ------------------------------------------------------------------------------------- CoNLL


def to_conll(docs: list[Document]) -> str:
    """CoNLL/IOB2: ``token<TAB>tag`` per line, a blank line between sentences, a
    ``# doc_id = …`` comment line before each document.  Event types are not part of IOB tags."""
    lines = []
    for d in docs:
        sdoc = to_spacy(d)
        lines.append(f"# doc_id = {d.id}")
        for sent in sdoc.sents:
            toks = [t for t in sent if not t.is_space]
            if not toks:
                continue
            for t in toks:
                tag = "O" if t.ent_iob_ == "O" or not t.ent_type_ else f"{t.ent_iob_}-{t.ent_type_}"
                lines.append(f"{t.text}\t{tag}")
            lines.append("")
    return "\n".join(lines) + "\n"


def read_conll(text: str) -> list[tuple[str, list[list[tuple[str, str]]]]]:
    """Parse :func:`to_conll` output: [(doc_id, sentences of (token, tag))]."""
    out: list[tuple[str, list[list[tuple[str, str]]]]] = []
    sent: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.startswith("# doc_id = "):
            out.append((line[len("# doc_id = "):], []))
        elif not line.strip():
            if sent:
                out[-1][1].append(sent)
                sent = []
        else:
            tok, tag = line.rsplit("\t", 1)
            sent.append((tok, tag))
    if sent:
        out[-1][1].append(sent)
    return out


# ------------------------------------------------------------------------------------- datasets


def to_hf_dataset(docs: list[Document]):
    """A ``datasets.DatasetDict`` with the corpus splits (train, dev, test) as its splits, one row per
    document (``pip install nkner[hf]``)."""
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise ImportError("the Hugging Face export needs the optional extra: pip install 'nkner[hf]'") from exc

    def rows(d: Document) -> dict:
        by_id = d.entity_by_id()
        return {
            "doc_id": [d.id], "text": [d.text], "status": [d.status], "genre": [d.genre or ""],
            "core": [d.core],
            "entities": [[{"id": e.id, "start": e.start, "end": e.end, "label": e.label,
                           "event_type": e.event_type or ""} for e in d.entities]],
            "relations": [[{"id": r.id, "from_id": r.from_id, "to_id": r.to_id, "type": r.type,
                            "from_text": d.text[by_id[r.from_id].start:by_id[r.from_id].end],
                            "to_text": d.text[by_id[r.to_id].start:by_id[r.to_id].end]}
                           for r in d.relations]],
        }
    by_split: dict[str, dict[str, list]] = {}
    for d in docs:
        table = by_split.setdefault(d.split or "unsplit", {})
        for key, value in rows(d).items():
            table.setdefault(key, []).extend(value)
    return datasets.DatasetDict({name: datasets.Dataset.from_dict(table) for name, table in by_split.items()})

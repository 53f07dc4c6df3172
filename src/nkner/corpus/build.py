"""`nkner corpus clean`: raw texts -> cleaned texts, change reports and corpus metadata."""
from __future__ import annotations

import json
from pathlib import Path

from nkner.atomic import atomic_write_text
from nkner.corpus.clean import apply_edits, clean_text
from nkner.corpus.remap import remap
from nkner.corpus.store import (CorpusError, Document, annotation_path, clean_dir, data_root,
                                metadata_path, raw_dir, read_record, read_text_exact, sha256_file, sha256_text,
                                write_document)


def sources_path(root: Path | None = None) -> Path:
    return (root or data_root()) / "corpus" / "sources.json"


SOURCE_KEYS = ("id", "title", "author", "publisher", "via", "date", "date_note", "genre", "split", "kind", "language",
               "url", "repository", "path", "commit", "excerpt", "excerpt_of", "licence", "rights_note", "retrieved",
               "events", "source_reference", "core")


def carry_annotations(doc_id: str, new_text: str, root: Path) -> list[str]:
    """When the cleaned text changed under an annotation file, carry the spans over (see remap)."""
    path = annotation_path(doc_id, root)
    if not path.exists():
        return []
    rec = read_record(path)
    if rec["meta"].get("text_sha256") == sha256_text(new_text):
        return []
    doc = Document.from_record(rec, source=str(path))
    moved, messages = remap(doc, new_text)
    write_document(moved, root)
    return [f"{doc_id}: cleaned text changed; {len(moved.entities)} of {len(doc.entities)} spans carried over"] + messages


def add_sources(entries: list[tuple[dict, str | None]], root: Path | None = None, report=print) -> list[dict]:
    """Add documents to the corpus: each ``(source row, raw text)`` becomes a row of
    ``corpus/sources.json`` and, when the text is given, ``corpus/raw/<id>.txt`` (a text of ``None``
    means the raw file is already there: raw bytes are never rewritten).  Then the corpus is cleaned
    as by ``nkner corpus clean``; returns the metadata rows of the whole corpus.

    The rows are appended after the existing ones, which stay as written.  Refused with
    :class:`CorpusError`, and nothing left written: a corpus without ``corpus/sources.json``, an id
    that is already a source, a key outside ``SOURCE_KEYS``, and a row that
    :func:`nkner.corpus.validate.validate_sources` finds wrong (vocabularies, provenance, raw bytes).
    """
    from nkner.corpus.validate import validate_sources

    root = root or data_root()
    path = sources_path(root)
    if not path.exists():
        raise CorpusError(f"{path}: corpus sources not found; cannot add documents")
    original = path.read_text(encoding="utf-8")
    data = json.loads(original)
    known = {src["id"] for src in data["documents"]}
    clash = sorted(row["id"] for row, _ in entries if row["id"] in known)
    if clash:
        raise CorpusError(f"{path}: already has documents {', '.join(clash)}")
    for row, _ in entries:
        unknown = sorted(set(row) - set(SOURCE_KEYS))
        if unknown:
            raise CorpusError(f"{row['id']}: unknown source keys {', '.join(unknown)}")
    written = []
    for row, text in entries:
        if text is not None:
            atomic_write_text(raw_dir(root) / f"{row['id']}.txt", text)
            written.append(raw_dir(root) / f"{row['id']}.txt")
    end = original.rindex("]")
    body = original[:end].rstrip()
    added = "".join(f"{',' if (i or data['documents']) else ''}\n {json.dumps(row, ensure_ascii=False)}"
                    for i, (row, _) in enumerate(entries))
    new_text = body + added + "\n" + original[end:]
    assert json.loads(new_text)["documents"] == data["documents"] + [row for row, _ in entries]
    atomic_write_text(path, new_text)
    new_ids = {row["id"] for row, _ in entries}
    problems = [p for p in validate_sources(root) if p.doc_id in new_ids]
    if problems:
        atomic_write_text(path, original)
        for raw in written:
            raw.unlink()
        raise CorpusError("; ".join(str(p) for p in problems))
    return clean_corpus(root, report=report)


def clean_corpus(root: Path | None = None, report=print) -> list[dict]:
    """Clean every raw text listed in ``corpus/sources.json``; write texts, reports and metadata.

    Returns the metadata rows.  Every cleaned text is verified to equal its raw text with the
    reported edits applied.
    """
    root = root or data_root()
    sources = json.loads(sources_path(root).read_text(encoding="utf-8"))["documents"]
    rows = []
    for src in sources:
        doc_id = src["id"]
        raw_path = raw_dir(root) / f"{doc_id}.txt"
        raw = read_text_exact(raw_path)
        result = clean_text(raw)
        assert apply_edits(raw, result.edits) == result.text
        for line in carry_annotations(doc_id, result.text, root):
            report(line)
        atomic_write_text(clean_dir(root) / f"{doc_id}.txt", result.text)
        atomic_write_text(clean_dir(root) / f"{doc_id}.changes.md", result.report_markdown(doc_id))
        atomic_write_text(clean_dir(root) / f"{doc_id}.changes.json",
                          json.dumps(result.report(), ensure_ascii=False, indent=1) + "\n")
        counts: dict[str, int] = {}
        for e in result.edits:
            counts[e.rule] = counts.get(e.rule, 0) + 1
        row = dict(src)
        row.update({
            "raw_path": f"corpus/raw/{doc_id}.txt",
            "clean_path": f"corpus/clean/{doc_id}.txt",
            "sha256_raw": sha256_file(raw_path),
            "sha256_clean": sha256_text(result.text),
            "chars_raw": len(raw),
            "chars_clean": len(result.text),
            "words_clean": len(result.text.split()),
            "cleaning": {"edits": len(result.edits), "by_rule": dict(sorted(counts.items())),
                         "report": f"corpus/clean/{doc_id}.changes.md"},
        })
        rows.append(row)
    payload = {"_comment": "Written by `nkner corpus clean` from corpus/sources.json; do not edit by hand.",
               "documents": rows}
    atomic_write_text(metadata_path(root), json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    return rows

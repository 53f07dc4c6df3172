"""`nkner corpus clean`: raw texts -> cleaned texts, change reports and corpus metadata."""
from __future__ import annotations

import json
from pathlib import Path

from nkner.corpus.clean import apply_edits, clean_text
from nkner.corpus.remap import remap
from nkner.corpus.store import (CorpusError, Document, annotation_path, atomic_write_text, clean_dir, data_root,
                                metadata_path, raw_dir, read_record, read_text_exact, sha256_file, sha256_text,
                                write_document)


def sources_path(root: Path | None = None) -> Path:
    return (root or data_root()) / "corpus" / "sources.json"


SOURCE_KEYS = ("id", "title", "author", "publisher", "via", "date", "genre", "split", "kind", "language", "url",
               "repository", "path", "commit", "excerpt", "licence", "rights_note", "retrieved", "events",
               "source_reference", "core")


def add_sources(entries: list[dict], root: Path | None = None) -> list[str]:
    """Add (or update) documents in corpus/sources.json from provenance entries whose raw texts are
    already in corpus/raw/<id>.txt.  Unknown keys are refused; the entries are validated by
    :func:`nkner.corpus.validate.validate_sources` before anything is written.  Returns the ids."""
    from nkner.corpus.validate import validate_sources

    root = root or data_root()
    path = sources_path(root)
    data = json.loads(path.read_text(encoding="utf-8"))
    by_id = {d["id"]: d for d in data["documents"]}
    for entry in entries:
        unknown = sorted(set(entry) - set(SOURCE_KEYS))
        if unknown:
            raise ValueError(f"{entry.get('id', '?')}: unknown provenance keys {', '.join(unknown)}")
        by_id[entry["id"]] = {k: entry[k] for k in SOURCE_KEYS if k in entry}
    data["documents"] = sorted(by_id.values(), key=lambda d: d["id"])
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    original = path.read_text(encoding="utf-8")
    atomic_write_text(path, text)
    problems = [p for p in validate_sources(root) if p.doc_id in {e["id"] for e in entries}]
    if problems:
        atomic_write_text(path, original)
        raise ValueError("; ".join(str(p) for p in problems))
    return [e["id"] for e in entries]


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


def add_sources(entries: list[tuple[dict, str]], root: Path | None = None, report=print) -> list[dict]:
    """Add documents to the corpus: each ``(source row, raw text)`` becomes ``corpus/raw/<id>.txt``
    and a row of ``corpus/sources.json``; then the corpus is cleaned as by ``nkner corpus clean``.

    Refuses (:class:`CorpusError`, nothing written) an id that is already a source, and a corpus
    without ``corpus/sources.json``.  Returns the metadata rows of the whole corpus.
    """
    root = root or data_root()
    path = sources_path(root)
    if not path.exists():
        raise CorpusError(f"{path}: corpus sources not found; cannot add documents")
    data = json.loads(path.read_text(encoding="utf-8"))
    known = {src["id"] for src in data["documents"]}
    clash = sorted(row["id"] for row, _ in entries if row["id"] in known)
    if clash:
        raise CorpusError(f"{path}: already has documents {', '.join(clash)}")
    for row, text in entries:
        atomic_write_text(raw_dir(root) / f"{row['id']}.txt", text)
    # the file is written by hand: append the rows before the list's closing bracket, keep the rest
    text = path.read_text(encoding="utf-8")
    end = text.rindex("]")
    body = text[:end].rstrip()
    sep = "," if data["documents"] else ""
    added = "".join(f"{sep if i == 0 else ','}\n    {json.dumps(row, ensure_ascii=False)}"
                    for i, (row, _) in enumerate(entries))
    new_text = body + added + "\n  " + text[end:]
    assert json.loads(new_text)["documents"] == data["documents"] + [row for row, _ in entries]
    atomic_write_text(path, new_text)
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

"""`nkner corpus export`: the annotated corpus in the formats researchers use."""
from __future__ import annotations

import json
from pathlib import Path

from nkner.corpus.convert import AlignmentReport, dataframes, to_conll, to_docbin, to_hf_dataset
from nkner.atomic import atomic_directory, atomic_write_bytes, atomic_write_text
from nkner.corpus.store import load

FORMATS = ("jsonl", "conll", "spacy", "csv", "hf")


def export(fmt: str, output: Path, docs=None, *, split=None, genre=None, core=None) -> list[Path]:
    """Write the gold corpus (every fully annotated document, optionally selected by ``split``,
    ``genre`` and ``core`` as in :func:`nkner.corpus.load`, or ``docs``) as ``fmt`` to ``output``;
    return the paths written.  Each JSONL record carries ``split``, ``genre`` and ``core`` in its meta."""
    docs = load(gold_only=True, split=split, genre=genre, core=core) if docs is None else docs
    output = Path(output)
    if fmt == "jsonl":
        atomic_write_text(output, "".join(json.dumps(d.export_record(), ensure_ascii=False) + "\n" for d in docs))
        return [output]
    if fmt == "conll":
        atomic_write_text(output, to_conll(docs))
        return [output]
    if fmt == "spacy":
        report = AlignmentReport()
        atomic_write_bytes(output, to_docbin(docs, report=report).to_bytes())
        if report.misaligned:
            raise ValueError(f"{output}: {report}: {report.misaligned[:5]}")
        return [output]
    if fmt == "csv":
        output.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, df in zip(("documents", "entities", "relations"), dataframes(docs)):
            path = output / f"{name}.csv"
            atomic_write_text(path, df.to_csv(index=False))
            paths.append(path)
        return paths
    if fmt == "hf":
        with atomic_directory(output) as tmp:
            to_hf_dataset(docs).save_to_disk(str(tmp))
        return [output]
    raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")

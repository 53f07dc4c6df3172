"""`nkner extract PATH... | -`: many inputs, one output (file, folder or standard output).

Exit status: 0 all inputs processed; 1 at least one input could not be read (its error object is in
the output and on stderr; every other input is still processed and written); 2 usage error or no
usable model.  An input that does not exist also gets its error object.  ``-o FOLDER/`` (an existing
folder, or a path ending in a slash) writes one file per input with the format's extension, the
input's relative path kept; two inputs that would share an output file are a usage error.  Without
``--format`` the format follows the output file's extension (``.csv``, ``.html``, ``.json``,
``.jsonl``, ``.txt`` for the table).  Files are written atomically: a temporary file in the target folder, renamed when
complete.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from nkner.atomic import atomic_output
from nkner.extract.facts import merge_chunks
from nkner.extract.formats import CSV_ROWS, EXTENSIONS, WRITERS, writer
from nkner.extract.inputs import CHUNK_CHARS, Source, discover, read_text
from nkner.extract.run import Chunked, load, process_sources

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_USAGE = 0, 1, 2


def _emit(writer, item, fmt: str, min_confidence: float | None = None) -> bool:
    """Write one processed item; returns False for an error object."""
    if isinstance(item, Chunked):
        chunks = item.chunks if min_confidence is None else (
            (e, [x for x in f if x["confidence"] >= min_confidence], s) for e, f, s in item.chunks)
        if fmt == "html":
            writer.report(merge_chunks(item.header, chunks),
                          text=item.header.get("text") or read_text(item.path, item.source.encoding))
        else:
            writer.stream(item.header, chunks)
        return True
    writer.report(item)
    return False


def format_for(output: str | Path | None, fmt: str | None, out: IO[str]) -> str:
    """The output format: --format, else the output file's extension, else a table on a terminal
    and JSON Lines otherwise."""
    if fmt is not None:
        return fmt
    if output is not None and not _is_folder(output):
        by_ext = {ext: name for name, ext in EXTENSIONS.items()}
        fmt = by_ext.get(Path(output).suffix.lower(), {".htm": "html", ".ndjson": "jsonl"}.get(
            Path(output).suffix.lower()))
        if fmt is not None:
            return fmt
    return "table" if output is None and out.isatty() else "jsonl"


def _is_folder(output: str | Path) -> bool:
    """An output folder: an existing folder, or a path written with a trailing slash."""
    text = str(output)
    return Path(text).is_dir() or text.endswith(("/", os.sep))


class UsageError(Exception):
    pass


def folder_targets(entries: list[tuple[str, Path]], folder: Path, fmt: str) -> list[Path]:
    """One output path per input (``(name, relative path)``) under ``folder``: the input's path
    relative to the folder or path it was given as, with the format's extension; two inputs that
    would share a path are a usage error (never a silent overwrite)."""
    seen: dict[Path, str] = {}
    targets = []
    for name, rel in entries:
        target = folder / rel.with_suffix(EXTENSIONS[fmt])
        if target in seen:
            raise UsageError(f"{seen[target]} and {name} would both be written to {target}; "
                             "give them separately or rename one")
        seen[target] = name
        targets.append(target)
    return targets


def run(paths: list[str], fmt: str | None = None, output: str | Path | None = None, model: str | None = None,
        n_process: int = 1, progress: bool = True, err: IO[str] = sys.stderr, out: IO[str] = sys.stdout,
        doc_date: str | None = None, encoding: str | None = None, min_confidence: float | None = None,
        rows: str = "facts", engine: str = "local", scheduler: str | None = None, workers: int | None = None,
        batch_words: int | None = None, resume: bool = True) -> int:
    """Extract from every input; see the module docstring for outputs and exit codes.  ``engine="dask"``
    extracts on a Dask cluster (:func:`nkner.extract.distributed.run_files`: ``scheduler``,
    ``workers``, ``batch_words``, and ``resume`` for an interrupted run's file outputs)."""
    fmt = format_for(output, fmt, out)
    if fmt not in WRITERS:
        print(f"nkner extract: unknown format {fmt!r} (choose from {', '.join(WRITERS)})", file=err)
        return EXIT_USAGE
    if rows not in CSV_ROWS:
        print(f"nkner extract: unknown --rows {rows!r} (choose from {', '.join(CSV_ROWS)})", file=err)
        return EXIT_USAGE
    from nkner.extract.inputs import InputError, check_encoding
    if encoding is not None:
        try:
            check_encoding(encoding)
        except InputError as exc:
            print(f"nkner extract: --encoding: {exc}", file=err)
            return EXIT_USAGE
    if engine == "dask":
        from nkner.extract.distributed import run_files
        return run_files(paths, fmt, output, model, progress, err, out, doc_date=doc_date, encoding=encoding,
                         min_confidence=min_confidence, rows=rows, scheduler=scheduler, workers=workers,
                         batch_words=batch_words, resume=resume)
    from nkner.extract.run import ModelError
    try:
        nlp = load(model)
    except (ModelError, OSError) as exc:
        print(f"nkner extract: {exc}", file=err)
        return EXIT_USAGE
    sources, missing = discover(paths, encoding=encoding)
    to_folder = output is not None and _is_folder(output)
    try:
        entries = [(name, Path(Path(name).name)) for name, _ in missing] + [(s.name, s.rel) for s in sources]
        targets = folder_targets(entries, Path(output), fmt) if to_folder else None
    except UsageError as exc:
        print(f"nkner extract: {exc}", file=err)
        for s in sources:
            s.cleanup()
        return EXIT_USAGE
    errors = [{"source": name, "error": msg} for name, msg in missing]
    failures = 0

    bar = _Progress(sources, err) if progress else None

    def items():
        for item in errors:
            print(f"nkner extract: {item['source']}: {item['error']}", file=err)
            yield item
        for item in process_sources(sources, nlp, n_process=n_process, doc_date=doc_date,
                                    on_done=bar.done if bar else None, on_chunk=bar.chunk if bar else None):
            if isinstance(item, Chunked):
                for note in item.warnings:
                    print(f"nkner extract: {item.header['source']}: warning: {note}", file=err)
                if bar:
                    bar.start_source(item.length)
            else:
                print(f"nkner extract: {item['source']}: {item['error']}", file=err)
            yield item

    try:
        if to_folder:
            for item, target in zip(items(), targets):
                if target.exists():
                    print(f"nkner extract: replacing {target}", file=err)
                with atomic_output(target) as fh:
                    w = writer(fmt, fh, rows)
                    w.begin()
                    ok = _emit(w, item, fmt, min_confidence)
                    w.end()
                failures += 0 if ok else 1
        else:
            ctx = atomic_output(Path(output)) if output is not None else _stdout(out)
            with ctx as fh:
                w = writer(fmt, fh, rows)
                w.begin()
                for item in items():
                    failures += 0 if _emit(w, item, fmt, min_confidence) else 1
                w.end()
    finally:
        if bar:
            bar.stop()
        for s in sources:
            s.cleanup()
    return EXIT_INPUT_ERRORS if failures else EXIT_OK


@contextmanager
def _stdout(out: IO[str]):
    yield out
    out.flush()


class _Progress:
    """A progress bar on stderr: in reports when there are several inputs, in characters within a
    single long input (more than two chunks); nothing for one short input."""

    def __init__(self, sources: list[Source], err: IO[str]):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.several = len(sources) > 1
        self.p = Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[unit]}"), TimeElapsedColumn(), console=Console(file=err),
                          transient=False)
        self.task = self.p.add_task("extract", total=len(sources), unit="reports", visible=self.several)
        self.started = False

    def _start(self) -> None:
        if not self.started:
            self.p.start()
            self.started = True

    def start_source(self, length: int) -> None:
        if self.several:
            self._start()
        elif length > 2 * CHUNK_CHARS:
            self.p.update(self.task, total=length, completed=0, unit="characters", visible=True)
            self._start()

    def chunk(self, n_chars: int) -> None:
        if not self.several:
            self.p.advance(self.task, n_chars)

    def done(self, _src: Source) -> None:
        if self.several:
            self.p.advance(self.task)

    def stop(self) -> None:
        if self.started:
            self.p.stop()

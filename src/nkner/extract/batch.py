"""`nkner extract PATH... | -`: many inputs, one output (file, folder or standard output).

Exit status: 0 all inputs processed; 1 at least one input could not be read (its error object is in
the output and on stderr; every other input is still processed and written); 2 usage error or no
usable model.  Files are written atomically: a temporary file in the target folder, renamed when
complete.
"""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from nkner.extract.formats import EXTENSIONS, WRITERS
from nkner.extract.inputs import Source, discover, read_text
from nkner.extract.run import Chunked, load, process_sources

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_USAGE = 0, 1, 2


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[str]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _emit(writer, item, fmt: str) -> bool:
    """Write one processed item; returns False for an error object."""
    if isinstance(item, Chunked):
        if fmt == "html":
            obj = dict(item.header, entities=[], facts=[], statements=[])
            for e, f, s in item.chunks:
                obj["entities"] += e
                obj["facts"] += f
                obj["statements"] += s
            writer.report(obj, text=read_text(item.path))
        else:
            writer.stream(item.header, item.chunks)
        return True
    writer.report(item)
    return False


def run(paths: list[str], fmt: str | None = None, output: Path | None = None, model: str | None = None,
        n_process: int = 1, progress: bool = True, err: IO[str] = sys.stderr, out: IO[str] = sys.stdout,
        doc_date: str | None = None) -> int:
    """Extract from every input; see the module docstring for outputs and exit codes."""
    if fmt is None:
        fmt = "table" if output is None and out.isatty() else "jsonl"
    if fmt not in WRITERS:
        print(f"nkner extract: unknown format {fmt!r} (choose from {', '.join(WRITERS)})", file=err)
        return EXIT_USAGE
    from nkner.extract.run import ModelError
    try:
        nlp = load(model)
    except (ModelError, OSError) as exc:
        print(f"nkner extract: {exc}", file=err)
        return EXIT_USAGE
    sources, missing = discover(paths)
    failures = 0
    for name, msg in missing:
        print(f"nkner extract: {name}: {msg}", file=err)
        failures += 1
    to_folder = output is not None and (output.is_dir() or str(output).endswith(os.sep))

    bar = _progress(len(sources), err) if progress and len(sources) > 1 else None

    def done(_src: Source) -> None:
        if bar:
            bar[0].advance(bar[1])

    def items():
        for item in process_sources(sources, nlp, n_process=n_process, on_done=done, doc_date=doc_date):
            if not isinstance(item, Chunked):
                print(f"nkner extract: {item['source']}: {item['error']}", file=err)
            yield item

    try:
        if bar:
            bar[0].start()
        if to_folder:
            for item in items():
                name = Path(item["source"] if isinstance(item, dict) else item.header["source"]).name
                target = output / (Path(name).stem + EXTENSIONS[fmt])
                with atomic_output(target) as fh:
                    w = WRITERS[fmt](fh)
                    w.begin()
                    ok = _emit(w, item, fmt)
                    w.end()
                failures += 0 if ok else 1
        else:
            ctx = atomic_output(output) if output is not None else _stdout(out)
            with ctx as fh:
                w = WRITERS[fmt](fh)
                w.begin()
                for item in items():
                    failures += 0 if _emit(w, item, fmt) else 1
                w.end()
    finally:
        if bar:
            bar[0].stop()
        for s in sources:
            s.cleanup()
    return EXIT_INPUT_ERRORS if failures else EXIT_OK


@contextmanager
def _stdout(out: IO[str]):
    yield out
    out.flush()


def _progress(total: int, err: IO[str]):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    p = Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                 console=Console(file=err), transient=False)
    task = p.add_task("extract", total=total)
    return p, task

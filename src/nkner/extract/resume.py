"""The manifest that makes a long ``nkner extract --engine dask`` run resumable.

While a run writes to a file (``-o FILE``) or a folder (``-o FOLDER/``), a manifest beside the output
records each finished input: its name (the output's ``source``), the SHA-256 of its text as read
(the output's ``text_sha256``; none for an error object) and where its result is.  The manifest is
JSON Lines: a first line with the run's settings (inputs as given, format, CSV rows, model,
``--doc-date``, ``--encoding``, ``--min-confidence``), then one line per finished input.

- ``-o FOLDER/``: each input's file is written atomically as it finishes, as in the plain run; the
  manifest is ``FOLDER/.nkner-manifest.jsonl`` and each line names the input's output file.
- ``-o FILE``: results are appended to ``FILE.nkner-partial.jsonl`` (JSON Lines, flushed after each
  input) and each manifest line (``FILE.nkner-manifest.jsonl``) says where that input's record ends,
  so a record half-written when the run was stopped is cut off when it resumes.  When every input
  is done, the partial file becomes FILE (renamed for JSON Lines; for CSV, JSON, HTML or a table,
  FILE is written from it atomically and it is removed).

When the run completes, the manifest is removed: a manifest beside an output therefore always
means an interrupted run.  Running the same command again then resumes it (the default;
``--no-resume`` starts over): an input is skipped when the manifest has it with the same text hash
(each is read again to check) and, for a folder, its output file still exists; inputs that gave an
error object, changed, or are no longer among the inputs are redone or dropped, so the output ends
up as an uninterrupted run's (inputs redone after a change come after those kept).  A manifest
written with other settings is refused (a usage error) rather than mixed with new results.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Callable, Iterator

from nkner.extract.inputs import InputError, Source

MANIFEST_VERSION = 1


class ResumeError(Exception):
    """The manifest beside the output belongs to a run with other settings, or cannot be read."""


def manifest_path(output: Path, folder: bool) -> Path:
    return output / ".nkner-manifest.jsonl" if folder else output.with_name(output.name + ".nkner-manifest.jsonl")


def partial_path(output: Path) -> Path:
    return output.with_name(output.name + ".nkner-partial.jsonl")


def _line(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


class Manifest:
    """The manifest of one run writing to ``output`` (a folder when ``folder``); see the module
    docstring.  Use :meth:`open`, then :meth:`record` after each input, then :meth:`finish`."""

    def __init__(self, output: Path, folder: bool, settings: dict):
        self.output, self.folder = Path(output), folder
        self.settings = dict(settings, nkner_manifest=MANIFEST_VERSION)
        self.path = manifest_path(self.output, folder)
        self.partial = None if folder else partial_path(self.output)
        self.kept: dict[str, dict] = {}
        self._fresh = False   # a new run: the old manifest and partial file are replaced on entering
        self._fh: IO[str] | None = None
        self.spool: IO[str] | None = None   # file mode: the partial output, open for appending

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, output: Path, folder: bool, settings: dict, sources: list[Source], resume: bool = True,
             targets: dict[str, Path] | None = None) -> "Manifest":
        """The manifest for this run: the interrupted run's, checked and with the inputs to redo
        dropped, when ``resume`` and there is one; else a new one (an old manifest and partial
        file are removed when the run starts writing, so that nothing is lost if it cannot start).
        ``targets``: each source's output file (folder mode).  :attr:`kept` then holds the entries
        of the inputs already done, by source name."""
        m = cls(output, folder, settings)
        if resume and m.path.exists():
            m._resume({s.name: s for s in sources}, targets or {})
        else:
            m._fresh = True
        return m

    def _start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.partial is not None:
            self.partial.unlink(missing_ok=True)
        self._write_manifest([])
        self._fresh = False

    def _read(self) -> tuple[dict, list[dict]]:
        try:
            with open(self.path, encoding="utf-8") as fh:
                lines = fh.read().splitlines()
            header, entries = json.loads(lines[0]), []
            for line in lines[1:]:
                try:
                    entries.append(json.loads(line))
                except json.JSONDecodeError:
                    break  # a line cut off when the run stopped: it and what follows are redone
        except (OSError, IndexError, json.JSONDecodeError) as exc:
            raise ResumeError(f"cannot read the manifest {self.path} ({exc}); give --no-resume to start over") from None
        return header, entries

    def _resume(self, sources: dict[str, Source], targets: dict[str, Path]) -> None:
        header, entries = self._read()
        if header != self.settings:
            diff = sorted(k for k in set(header) | set(self.settings) if header.get(k) != self.settings.get(k))
            raise ResumeError(f"{self.path} records an interrupted run with other settings ({', '.join(diff)}); "
                              "run that command again to finish it, or give --no-resume to start over")
        size = self.partial.stat().st_size if self.partial is not None and self.partial.exists() else 0
        kept, start, compact = [], 0, False
        for entry in entries:
            end = entry.get("end", 0)
            if self.partial is not None and end > size:
                compact = True
                break  # the partial file is shorter than recorded: keep what precedes
            if self._still_valid(entry, sources, targets):
                kept.append((entry, start))
            else:
                compact = True
            start = end
        if self.partial is not None:
            self._rewrite_partial(kept, compact, start)
        else:
            self._write_manifest([e for e, _ in kept])
        self.kept = {e["source"]: e for e, _ in kept}

    def _still_valid(self, entry: dict, sources: dict[str, Source], targets: dict[str, Path]) -> bool:
        src = sources.get(entry.get("source"))
        if src is None or entry.get("sha256") is None:
            return False  # no longer an input, or an error object: redone
        if self.folder and not (targets.get(src.name) and targets[src.name].exists()):
            return False
        try:
            # a copy, so the text one reading keeps does not stay in memory for every input
            digest = dataclasses.replace(src, _text=None).sha256()[0]
        except (InputError, OSError):
            return False
        return digest == entry["sha256"]

    def _rewrite_partial(self, kept: list[tuple[dict, int]], compact: bool, end: int) -> None:
        """Keep only the kept inputs' records in the partial file (and their entries, with new end
        offsets, in the manifest); without anything to drop, just cut off a half-written tail."""
        assert self.partial is not None
        if not self.partial.exists():
            self.partial.touch()
        if not compact:
            with open(self.partial, "r+b") as fh:
                fh.truncate(end)
            self._write_manifest([e for e, _ in kept])
            return
        fd, tmp = tempfile.mkstemp(dir=self.partial.parent, prefix=f".{self.partial.name}.", suffix=".tmp")
        entries, pos = [], 0
        try:
            with open(self.partial, "rb") as src, os.fdopen(fd, "wb") as dst:
                for entry, start in kept:
                    src.seek(start)
                    dst.write(src.read(entry["end"] - start))
                    pos += entry["end"] - start
                    entries.append(dict(entry, end=pos))
            os.replace(tmp, self.partial)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self._write_manifest(entries)

    def _write_manifest(self, entries: list[dict]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_line(self.settings))
            for e in entries:
                fh.write(_line(e))
        os.replace(tmp, self.path)

    # -- during the run ------------------------------------------------------------------------

    def __enter__(self) -> "Manifest":
        if self._fresh:
            self._start()
        self._fh = open(self.path, "a", encoding="utf-8")
        if self.partial is not None:
            self.spool = open(self.partial, "a", encoding="utf-8", newline="")
        return self

    def __exit__(self, *exc) -> None:
        for fh in (self.spool, self._fh):
            if fh is not None:
                fh.close()
        self.spool = self._fh = None

    def record(self, obj: dict, output: Path | None = None) -> None:
        """Record one finished input (its result ``obj``), after its record was written to
        :attr:`spool` (file mode) or its file to ``output`` (folder mode)."""
        entry = {"source": obj["source"], "sha256": obj.get("text_sha256")}
        if self.spool is not None:
            self.spool.flush()
            entry["end"] = self.spool.tell()
        if output is not None:
            entry["output"] = os.path.relpath(output, self.output)
        assert self._fh is not None, "record() inside `with manifest:`"
        self._fh.write(_line(entry))
        self._fh.flush()

    def spooled(self) -> Iterator[dict]:
        """The result objects in the partial file, in order."""
        assert self.partial is not None
        with open(self.partial, encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)

    def finish(self, render: Callable[[], None] | None = None) -> None:
        """The run is complete: in file mode, the partial file becomes the output (renamed when
        ``render`` is None, else ``render()`` writes the output from :meth:`spooled` and the partial
        file is removed); then the manifest is removed."""
        self.__exit__()
        if self.partial is not None:
            if render is None:
                os.replace(self.partial, self.output)
            else:
                render()
                self.partial.unlink()
        self.path.unlink(missing_ok=True)


"""Atomic writes: a file or a folder appears complete or not at all, never half written.

Everything nkner writes for keeps (gold annotations, corpus files, exports, extraction output,
evaluation reports, trained pipelines) goes through this module: the content is written to a
temporary file (or folder) beside the target, then renamed over it.  An error or an interruption
leaves the previous version in place and no temporary file behind.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_output(path: str | Path, binary: bool = False) -> Iterator[IO]:
    """An open file whose content replaces ``path`` when the block ends without an error.

    Text is UTF-8 with no newline translation.  The folder is created if needed; the temporary
    file (``.<name>.*.tmp`` in the same folder) is removed on any error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as fh:
            yield fh
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_output(path, binary=True) as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` as UTF-8 (no newline translation) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """A new empty folder to fill; when the block ends without an error it takes the place of
    ``path`` (a folder there before is removed only then).  On an error ``path`` is left as it was.

    The swap is two renames (the old folder aside, the new one in), so a crash between them leaves
    the previous version as ``.<name>.*.old`` beside ``path`` rather than no version at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    old = None
    try:
        yield tmp
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.replace(path, old / path.name)
        try:
            os.replace(tmp, path)
        except BaseException:
            if old is not None:
                os.replace(old / path.name, path)
            raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
        if old is not None:
            shutil.rmtree(old)


def atomic_save_figure(fig, path: str | Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure to ``path`` atomically (format from the suffix), then close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_output(path, binary=True) as fh:
        fig.savefig(fh, format=path.suffix.lstrip(".").lower() or "png", dpi=dpi)
    plt.close(fig)
    return path

"""Reading reports: files, folders (recursive, .txt and .md) and standard input.

Text is decoded exactly as the extraction contract says: UTF-8 (a byte-order mark is removed), or
UTF-16 when the file starts with a UTF-16 byte-order mark; no newline translation, so offsets index
the text as read.  Anything else (undecodable bytes, a binary file) is an :class:`InputError` for
that input alone.  Large inputs are read in chunks that end at a line break, so memory stays
bounded; every chunk knows its code-point offset in the whole text.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

TEXT_SUFFIXES = (".txt", ".md")
CHUNK_CHARS = 10_000
_READ_BYTES = 1 << 20


class InputError(Exception):
    """An input that cannot be read; the message names the input and the problem."""


@dataclass
class Source:
    name: str          # what the output's "source" field says
    path: Path         # a readable file (standard input is spooled to a temporary file)
    temporary: bool = False

    def cleanup(self) -> None:
        if self.temporary:
            self.path.unlink(missing_ok=True)


def discover(paths: list[str]) -> tuple[list[Source], list[tuple[str, str]]]:
    """Expand the command-line inputs; returns (sources, [(input, error message)])."""
    sources: list[Source] = []
    errors: list[tuple[str, str]] = []
    for p in paths:
        if p == "-":
            sources.append(spool_stdin())
            continue
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
            if not found:
                errors.append((p, f"folder contains no {'/'.join(TEXT_SUFFIXES)} files"))
            sources.extend(Source(str(f), f) for f in found)
        elif path.is_file():
            sources.append(Source(str(path), path))
        elif path.exists():
            errors.append((p, "not a regular file or folder"))
        else:
            errors.append((p, "no such file or folder"))
    return sources, errors


def spool_stdin() -> Source:
    """Copy standard input to a temporary file so it can be read twice (hash, then chunks)."""
    fd, name = tempfile.mkstemp(prefix="nkner-stdin-", suffix=".txt")
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, _READ_BYTES)
    return Source("<stdin>", Path(name), temporary=True)


def detect_encoding(path: Path) -> tuple[str, int]:
    """(codec name, number of BOM bytes to skip)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if b"\x00" in head:
        raise InputError("binary data (NUL bytes) and no UTF-16 byte-order mark: not a text report")
    return "utf-8", 0


def iter_text(path: Path, chunk_chars: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """Yield (code-point offset, text) chunks of the decoded file; chunks end after a line break
    where possible (else after whitespace), so no sentence is cut."""
    encoding, skip = detect_encoding(path)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset, buf, byte_pos = 0, "", skip
    with open(path, "rb") as fh:
        fh.seek(skip)
        while True:
            block = fh.read(_READ_BYTES)
            final = not block
            try:
                buf += decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid {encoding.upper()} text at byte {byte_pos + exc.start}: "
                                 f"{exc.reason}") from None
            byte_pos += len(block)
            if "\x00" in buf:
                raise InputError("binary data (NUL characters): not a text report")
            while len(buf) > chunk_chars:
                cut = buf.rfind("\n", 0, chunk_chars)
                if cut < chunk_chars // 2:
                    cut = max(buf.rfind(" ", 0, chunk_chars), chunk_chars // 2)
                piece, buf = buf[:cut + 1], buf[cut + 1:]
                yield offset, piece
                offset += len(piece)
            if final:
                break
    if buf or offset == 0:
        yield offset, buf


def text_sha256(path: Path) -> str:
    h = hashlib.sha256()
    for _, chunk in iter_text(path):
        h.update(chunk.encode("utf-8"))
    return h.hexdigest()


def read_text(path: Path) -> str:
    """The whole decoded text (for small inputs and tests)."""
    return "".join(chunk for _, chunk in iter_text(path))

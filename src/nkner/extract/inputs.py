"""Reading reports: files, folders (recursive), standard input; plain text, HTML pages and PDF.

Plain text is decoded exactly as the extraction contract says: UTF-8 (a byte-order mark is removed),
or UTF-16 when the file starts with a UTF-16 byte-order mark, or the codec named by ``encoding``
(``--encoding cp1252``, ``latin-1``; a byte-order mark still wins); no newline translation, so
offsets index the text as read.  HTML pages (``.html``/``.htm``) give their main text only
(trafilatura: no menus, scripts or footers) and PDF files (``.pdf``) the text of their pages
(pypdf); offsets then index that extracted text, which the output object carries as ``text``.
Anything unreadable (undecodable bytes, a binary file, a PDF without text) is an
:class:`InputError` for that input alone.  Large text inputs are read in chunks that end at a line
break, so memory stays bounded; every chunk knows its code-point offset in the whole text.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
PDF_SUFFIXES = (".pdf",)
INPUT_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES
CHUNK_CHARS = 10_000
_READ_BYTES = 1 << 20


class InputError(Exception):
    """An input that cannot be read; the message names the input and the problem."""


@dataclass
class Source:
    name: str          # what the output's "source" field says
    path: Path         # a readable file (standard input is spooled to a temporary file)
    temporary: bool = False
    rel: Path | None = None       # where its output goes under an output folder (suffix replaced)
    encoding: str | None = None   # codec for plain text without a byte-order mark (default UTF-8)
    _text: str | None = field(default=None, repr=False)

    def cleanup(self) -> None:
        if self.temporary:
            self.path.unlink(missing_ok=True)

    @property
    def kind(self) -> str:
        """``text``, ``html`` or ``pdf``, by the file's extension (standard input is text)."""
        suffix = self.path.suffix.lower() if not self.temporary else ""
        return "html" if suffix in HTML_SUFFIXES else "pdf" if suffix in PDF_SUFFIXES else "text"

    def extracted_text(self) -> str | None:
        """The text extracted from an HTML page or a PDF (None for plain text, which is streamed,
        unless :meth:`sha256` found it to be one chunk and kept it)."""
        if self.kind == "text":
            return self._text
        if self._text is None:
            self._text = html_text(self.path, self.encoding) if self.kind == "html" else pdf_text(self.path)
        return self._text

    def chunks(self, chunk_chars: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
        text = self.extracted_text()
        if self.kind == "text":
            self._text = None  # kept for one reading only: many small inputs must not pile up
        if text is None:
            yield from iter_text(self.path, chunk_chars, self.encoding)
        else:
            yield from split_text(text, chunk_chars)

    def sha256(self) -> tuple[str, int, str]:
        """(SHA-256 of the text as UTF-8, its length in code points, its first chunk); reads the whole
        input, so an unreadable one fails here, before any of its output is written.  A plain text
        of one chunk is kept, so that :meth:`chunks` does not read it again."""
        h, n, pieces = hashlib.sha256(), 0, []
        for _, chunk in self.chunks():
            h.update(chunk.encode("utf-8"))
            n += len(chunk)
            if len(pieces) < 2:
                pieces.append(chunk)
        if self.kind == "text" and len(pieces) == 1:
            self._text = pieces[0]
        return h.hexdigest(), n, pieces[0] if pieces else ""


def discover(paths: list[str], encoding: str | None = None) -> tuple[list[Source], list[tuple[str, str]]]:
    """Expand the command-line inputs; returns (sources, [(input, error message)]).  A folder is
    searched recursively for .txt, .md, .html/.htm and .pdf files."""
    sources: list[Source] = []
    errors: list[tuple[str, str]] = []
    for p in paths:
        if p == "-":
            src = spool_stdin()
            src.encoding = encoding
            sources.append(src)
            continue
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES)
            if not found:
                errors.append((p, f"folder contains no {'/'.join(INPUT_SUFFIXES)} files"))
            sources.extend(Source(str(f), f, rel=f.relative_to(path), encoding=encoding) for f in found)
        elif path.is_file():
            rel = path if not path.is_absolute() and ".." not in path.parts else Path(path.name)
            sources.append(Source(str(path), path, rel=rel, encoding=encoding))
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
    return Source("<stdin>", Path(name), temporary=True, rel=Path("stdin"))


def check_encoding(name: str) -> str:
    """The codec's canonical name, or InputError for an unknown one (``--encoding``)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(f"unknown encoding {name!r} (e.g. utf-8, cp1252, latin-1)") from None


def detect_encoding(path: Path, encoding: str | None = None) -> tuple[str, int]:
    """(codec name, number of BOM bytes to skip): a byte-order mark decides, else ``encoding``,
    else UTF-8."""
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
    return check_encoding(encoding) if encoding else "utf-8", 0


def chunk_end(text: str, start: int, size: int = CHUNK_CHARS) -> int:
    """Where the chunk of ``text`` that begins at ``start`` ends (exclusive): the end of the text if
    the rest fits in ``size`` characters; else just after the window's last line break if that is in
    its second half (sentences never cross a line break); else just after its last space or line
    break; else (a run of ``size`` characters without either) at ``start + size``.

    The one rule for cutting a report, in memory (:func:`split_text`) or read from a file
    (:func:`iter_text`), so both give the same chunks."""
    end = start + size
    if end >= len(text):
        return len(text)
    cut = text.rfind("\n", start, end)
    if cut < start + size // 2:
        cut = max(cut, text.rfind(" ", start, end))
    return cut + 1 if cut >= start else end


def iter_text(path: Path, chunk_chars: int = CHUNK_CHARS, encoding: str | None = None) -> Iterator[tuple[int, str]]:
    """Yield (code-point offset, text) chunks of the decoded file, cut by :func:`chunk_end` as the
    text is decoded (the same chunks as :func:`split_text` of the whole text)."""
    encoding, skip = detect_encoding(path, encoding)
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
                hint = " (if it is Windows or Latin-1 text, give --encoding cp1252 or latin-1)" \
                    if encoding == "utf-8" else ""
                raise InputError(f"not valid {encoding.upper()} text at byte {byte_pos + exc.start}: "
                                 f"{exc.reason}{hint}") from None
            byte_pos += len(block)
            if "\x00" in buf:
                raise InputError("binary data (NUL characters): not a text report")
            while len(buf) > chunk_chars:
                end = chunk_end(buf, 0, chunk_chars)
                piece, buf = buf[:end], buf[end:]
                yield offset, piece
                offset += len(piece)
            if final:
                break
    if buf or offset == 0:
        yield offset, buf


def split_text(text: str, size: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, chunk) pieces of an in-memory text, cut by :func:`chunk_end`; an empty text is one
    empty chunk."""
    pos = 0
    while pos < len(text):
        end = chunk_end(text, pos, size)
        yield pos, text[pos:end]
        pos = end
    if not text:
        yield 0, ""


def text_sha256(path: Path, encoding: str | None = None) -> str:
    h = hashlib.sha256()
    for _, chunk in iter_text(path, encoding=encoding):
        h.update(chunk.encode("utf-8"))
    return h.hexdigest()


def read_text(path: Path, encoding: str | None = None) -> str:
    """The whole decoded text of a plain-text file, or the extracted text of an HTML page or PDF."""
    return "".join(chunk for _, chunk in Source(str(path), Path(path), encoding=encoding).chunks())


def html_text(path: Path, encoding: str | None = None) -> str:
    """The main text of an HTML page (trafilatura: without menus, scripts, comments or footers)."""
    import trafilatura

    data = Path(path).read_bytes()
    page = data.decode(check_encoding(encoding), errors="replace") if encoding else data
    text = trafilatura.extract(page, output_format="txt", include_comments=False, include_tables=True,
                               include_images=False, include_links=False, favor_precision=False)
    if not text or not text.strip():
        raise InputError("no main text found in the HTML page")
    return text


def pdf_text(path: Path) -> str:
    """The text of a PDF's pages (pypdf), pages separated by a blank line."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise InputError("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a readable PDF: {exc}") from None
    text = "\n\n".join(p.strip("\n") for p in pages).strip()
    if not text:
        raise InputError("the PDF has no extractable text (scanned pages need OCR first)")
    return text + "\n"


# Very frequent function words: in English prose the English ones make up 30-40 % of the words (the
# corpus texts: 0.31-0.39); in French, Spanish, German, Portuguese, Italian or Dutch prose their own
# make up a similar share and the English ones a few percent.  English reference lists and headlines
# have few function words of either kind, so the test compares the two instead of using a threshold.
_ENGLISH_FUNCTION_WORDS = frozenset("""
the of and to in a is that for it as was with be by on not he i this are or his from at which but
have an they you were her she there been one all we their has would when who will more no if out so
said what up its about into than them can only other new some could these two may then do first any
my now such like our over also did most made after where even back through years those while much
""".split())
_OTHER_FUNCTION_WORDS = frozenset("""
de la le les des du et est une un que qui dans pour pas sur au aux par ces ont été sont
el los las del y por con para una es su se lo como más pero sus
der die das und ist nicht von zu mit den dem sich auf für eine ein auch wird werden sind
não uma os das dos ao em pelo pela il di che della gli sono het een van en niet zijn
""".split())


def language_warning(text: str, max_words: int = 2000) -> str | None:
    """A warning when the text does not look English (the model was trained on English only): most
    of its letters are not Latin (Korean, Chinese, Russian, ...), or it has more function words of
    French, Spanish, German, Portuguese, Italian or Dutch than of English.  Texts under 20 words
    are not judged."""
    sample = text[:max_words * 8]
    words = re.findall(r"[^\W\d_]+", sample.lower())[:max_words]
    if len(words) < 20:
        return None
    letters = "".join(words)
    latin = sum(1 for ch in letters if ch < "\u0250")
    if latin < 0.5 * len(letters):
        return f"the text does not look English (only {latin / len(letters):.0%} of its letters are Latin)"
    en = sum(w in _ENGLISH_FUNCTION_WORDS for w in words) / len(words)
    other = sum(w in _OTHER_FUNCTION_WORDS for w in words) / len(words)
    if other > en and other >= 0.05:
        return (f"the text does not look English ({en:.0%} English function words against {other:.0%} of "
                "French, Spanish, German, Portuguese, Italian or Dutch ones); the model was trained on "
                "English reports only, so expect poor results")
    return None

"""Reading reports: encodings, BOMs, binary files, chunking with exact offsets."""
from __future__ import annotations

import codecs

import pytest

from nkner.extract.inputs import CHUNK_CHARS, InputError, discover, iter_text, read_text, split_text, text_sha256

TEXT = "Chinese authorities deported 600 North Koreans.\r\nThey fled to Seoul – “again”.\n"


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
])
def test_encodings_decode_to_the_same_text_without_bom_or_newline_translation(tmp_path, data):
    p = tmp_path / "r.txt"
    p.write_bytes(data)
    assert read_text(p) == TEXT  # CRLF kept, BOM removed


def test_invalid_utf8_is_an_error_naming_the_byte(tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes("Pyongyang caf\xe9 report".encode("latin-1"))
    with pytest.raises(InputError, match="not valid UTF-8 text at byte 13"):
        read_text(p)


def test_binary_file_is_an_error(tmp_path):
    p = tmp_path / "img.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError, match="binary"):
        read_text(p)


def test_empty_file_yields_one_empty_chunk(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    assert list(iter_text(p)) == [(0, "")]


def test_chunks_end_at_line_breaks_and_offsets_index_the_whole_text(tmp_path):
    lines = [f"Line {i} mentions China and {i} refugees." for i in range(2000)]
    text = "\n".join(lines)
    p = tmp_path / "big.txt"
    p.write_text(text, encoding="utf-8")
    chunks = list(iter_text(p, chunk_chars=5000))
    assert len(chunks) > 10
    assert "".join(c for _, c in chunks) == text
    for offset, chunk in chunks:
        assert text[offset:offset + len(chunk)] == chunk
        assert chunk.endswith("\n") or offset + len(chunk) == len(text)
    assert text_sha256(p) == __import__("hashlib").sha256(text.encode()).hexdigest()


# a run without spaces longer than a chunk (a URL, a base64 blob, a table squeezed into one line),
# between ordinary lines and a paragraph without line breaks
NO_SPACES = ("China deported 600 North Koreans in October 2023.\n" + "x" * 25_000 + "\n"
             + "They fled to Seoul in 2024 and ten more fled. " * 400 + "\n" + "y" * 10_000)


@pytest.mark.parametrize("text", [NO_SPACES, "z" * (2 * CHUNK_CHARS), "a" * CHUNK_CHARS, "", "short\n"])
def test_file_streaming_and_in_memory_text_are_cut_the_same_way(tmp_path, text):
    p = tmp_path / "r.txt"
    p.write_bytes(text.encode("utf-8"))
    streamed, in_memory = list(iter_text(p)), list(split_text(text))
    assert streamed == in_memory
    assert "".join(c for _, c in streamed) == text
    for offset, chunk in streamed:
        assert text[offset:offset + len(chunk)] == chunk
        assert len(chunk) <= CHUNK_CHARS


def test_a_run_without_spaces_is_cut_at_the_chunk_size_and_prose_after_a_space():
    chunks = list(split_text(NO_SPACES))
    run_start = NO_SPACES.index("x")
    # no line break or space in the second half of the first window: the first chunk ends at the
    # window's last whitespace (the line break before the run), and the run is cut at the chunk size
    assert run_start == 50
    assert [o for o, _ in chunks[:4]] == [0, run_start, run_start + CHUNK_CHARS, run_start + 2 * CHUNK_CHARS]
    prose = [c for _, c in chunks if c.startswith("They") or c.startswith("fled")]
    assert prose and all(c.endswith((" ", "\n")) for c in prose)


def test_discover_folders_recursively_and_reports_missing(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("x")
    (tmp_path / "a" / "two.md").write_text("y")
    (tmp_path / "a" / "page.pdf").write_text("z")
    (tmp_path / "a" / "skip.docx").write_text("z")
    (tmp_path / "empty").mkdir()
    sources, errors = discover([str(tmp_path / "a"), str(tmp_path / "nope.txt"), str(tmp_path / "empty")])
    assert [s.path.name for s in sources] == ["one.txt", "page.pdf", "two.md"]
    assert [str(s.rel) for s in sources] == ["one.txt", "page.pdf", "two.md"]
    assert [e[0] for e in errors] == [str(tmp_path / "nope.txt"), str(tmp_path / "empty")]
    assert "no such file" in errors[0][1]


def test_language_warning_on_our_phrasing():
    from nkner.corpus.store import load
    from nkner.extract.inputs import language_warning

    docs = load()
    words = " ".join(d.text for d in docs).split()
    paragraphs = [" ".join(words[i:i + 30]) for i in range(0, len(words), 30)]
    # English corpus paragraphs, reference lists and headlines included: never flagged
    assert [p for p in paragraphs if language_warning(p)] == []
    fr = ("Les autorités chinoises ont rapatrié de force des centaines de réfugiés nord-coréens vers la Corée du "
          "Nord, selon des organisations de défense des droits humains qui dénoncent une violation du principe.")
    ko = "중국 당국은 수백 명의 탈북민을 강제로 북한으로 송환했다고 인권 단체들이 밝혔다 " * 4
    assert "French" in language_warning(fr)
    assert "Latin" in language_warning(ko)
    assert language_warning("Trop court pour juger.") is None

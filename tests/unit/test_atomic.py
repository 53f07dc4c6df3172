"""The one atomic writer: complete content or the previous version, and no temporary file left."""
from __future__ import annotations

import pytest

from nkner.atomic import atomic_directory, atomic_output, atomic_write_bytes, atomic_write_text


def test_text_is_written_without_newline_translation(tmp_path):
    path = tmp_path / "sub" / "a.txt"
    atomic_write_text(path, "one\r\ntwo\n")
    assert path.read_bytes() == b"one\r\ntwo\n"
    atomic_write_bytes(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.txt"]


def test_an_error_while_writing_keeps_the_previous_file(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_output(path) as fh:
            fh.write("half of the new")
            raise RuntimeError("interrupted")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.jsonl"]


def test_a_folder_replaces_the_previous_one_only_when_complete(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "old.cfg").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_directory(model) as tmp:
            (tmp / "new.cfg").write_text("new", encoding="utf-8")
            raise RuntimeError("interrupted")
    assert [p.name for p in model.iterdir()] == ["old.cfg"]
    with atomic_directory(model) as tmp:
        (tmp / "new.cfg").write_text("new", encoding="utf-8")
    assert [p.name for p in model.iterdir()] == ["new.cfg"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]

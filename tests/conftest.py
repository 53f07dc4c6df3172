"""Shared fixtures: a temporary copy of the corpus so tests never touch the real gold."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A copy of corpus/ and annotations/ in a temporary folder, used through NKNER_DATA."""
    for name in ("corpus", "annotations"):
        shutil.copytree(REPO / name, tmp_path / name)
    monkeypatch.setenv("NKNER_DATA", str(tmp_path))
    return tmp_path

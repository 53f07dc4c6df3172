"""Commands write nothing into the repository unless told where (issue 12.7), print clear errors instead
of tracebacks, and report their version (issue 12.8)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
NKNER = str(Path(sys.executable).parent / "nkner")
SHIPPED = REPO / "models" / "nkner_default"


def run(*args, cwd=REPO):
    return subprocess.run([NKNER, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def _stamp(*paths: Path) -> dict:
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in paths if p.exists()}


def test_version_agrees_with_the_package_and_the_model():
    import nkner

    res = run("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"nkner {nkner.__version__}" == "nkner 0.1.0"
    assert json.loads((SHIPPED / "meta.json").read_text())["version"] == nkner.__version__


def test_corpus_stats_prints_each_table_once_and_writes_no_chart_by_default(tmp_path):
    before = _stamp(REPO / "docs" / "label_counts.png")
    res = run("corpus", "stats", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("Per document") == 1 and res.stdout.count("Event types") == 1
    assert list(tmp_path.iterdir()) == []
    assert _stamp(REPO / "docs" / "label_counts.png") == before


def test_evaluate_refusing_trained_on_gold_is_a_clear_error_and_writes_nothing():
    before = _stamp(REPO / "docs" / "evaluation.md", REPO / "docs" / "evaluation.json")
    gold = REPO / "annotations" / "004_f906a5d173e9d91e.jsonl"   # the shipped model was trained on it
    res = run("evaluate", "--model", str(SHIPPED), "--gold", str(gold))
    assert res.returncode == 2
    assert "trained on 004_f906a5d173e9d91e" in res.stderr and "Traceback" not in res.stderr
    res = run("evaluate", "--model", str(SHIPPED), "--gold", str(REPO / "nope.jsonl"))
    assert res.returncode == 2 and "nope.jsonl" in res.stderr and "Traceback" not in res.stderr
    res = run("evaluate", "-b", "smner", "--add")
    assert res.returncode == 2 and "--report" in res.stderr
    assert _stamp(REPO / "docs" / "evaluation.md", REPO / "docs" / "evaluation.json") == before


def test_train_needs_an_output_path():
    before = _stamp(*SHIPPED.rglob("*"))
    res = run("train", "--max-epochs", "1")
    assert res.returncode == 2 and "--output" in res.stderr
    assert _stamp(*SHIPPED.rglob("*")) == before


def test_train_shows_progress_on_stderr_and_stamps_the_package_version(tmp_path):
    import nkner

    res = run("train", "-o", str(tmp_path / "m"), "--docs", "004_f906a5d173e9d91e", "--max-epochs", "1")
    assert res.returncode == 0, res.stderr
    assert "LOSS NER" in res.stderr and "Training pipeline" in res.stderr   # spaCy's per-step log rows
    assert res.stdout.startswith("wrote ")
    assert json.loads((tmp_path / "m" / "meta.json").read_text())["version"] == nkner.__version__

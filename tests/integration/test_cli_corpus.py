"""`nkner corpus ...` end to end as subprocesses, on the real corpus (copied to a temp folder)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nkner.corpus

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
NKNER = str(Path(sys.executable).parent / "nkner")


def run(*args, env=None):
    return subprocess.run([NKNER, *args], capture_output=True, text=True, timeout=300, env=env, cwd=REPO)


def test_validate_is_clean_on_the_gold():
    res = run("corpus", "validate", "--no-warnings")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 errors, 0 misaligned spans" in res.stdout
    n_files = len(list((REPO / "annotations").glob("*.jsonl")))
    assert f"{n_files} annotated documents" in res.stdout and n_files >= 5


def test_validate_fails_on_a_broken_file(tmp_path):
    import os
    for name in ("corpus", "annotations"):
        shutil.copytree(REPO / name, tmp_path / name)
    path = tmp_path / "annotations" / "004_f906a5d173e9d91e.jsonl"
    rec = json.loads(path.read_text())
    rec["entities"][0]["label"] = "PERSON"
    rec["entities"][1]["end_offset"] += 1
    path.write_text(json.dumps(rec) + "\n")
    env = dict(os.environ, NKNER_DATA=str(tmp_path))
    res = run("corpus", "validate", "--no-warnings", env=env)
    assert res.returncode == 1
    assert "004_f906a5d173e9d91e" in res.stdout and "unknown label 'PERSON'" in res.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "conll", "spacy", "csv", "hf"])
def test_export_formats(tmp_path, fmt):
    out = tmp_path / ("out" if fmt in ("csv", "hf") else f"out.{fmt}")
    res = run("corpus", "export", "--format", fmt, "-o", str(out))
    assert res.returncode == 0, res.stderr
    if fmt == "jsonl":
        recs = [json.loads(x) for x in out.read_text().splitlines()]
        gold = nkner.corpus.load(gold_only=True)
        assert [r["meta"]["doc_id"] for r in recs] == [d.id for d in gold]
        assert all(r["meta"]["status"] in ("annotated", "reviewed", "adjudicated") for r in recs)
        assert [(r["meta"]["split"], r["meta"]["genre"]) for r in recs] == [(d.split, d.genre) for d in gold]
        for r in recs:
            for e in r["entities"]:
                assert 0 <= e["start_offset"] < e["end_offset"] <= len(r["text"])
    elif fmt == "csv":
        assert sorted(p.name for p in out.iterdir()) == ["documents.csv", "entities.csv", "relations.csv"]
    elif fmt == "hf":
        import datasets
        ds = datasets.load_from_disk(str(out))
        gold = nkner.corpus.load(gold_only=True)
        assert {name: ds[name].num_rows for name in ds} == \
            {s: sum(d.split == s for d in gold) for s in {d.split for d in gold}}
        assert sorted(ds["train"]["doc_id"]) == sorted(d.id for d in gold if d.split == "train")
    else:
        assert out.stat().st_size > 1000


def test_stats_prints_counts_and_writes_a_chart(tmp_path):
    chart, md = tmp_path / "c.png", tmp_path / "s.md"
    res = run("corpus", "stats", "--chart", str(chart), "--markdown", str(md))
    assert res.returncode == 0, res.stderr
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| repatriation |" in md.read_text() and "ACTOR" in res.stdout

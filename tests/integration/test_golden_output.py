"""`nkner extract` output of the shipped model on the sample and the five core texts, pinned exactly.

The golden file is regenerated deliberately (tests/golden/regenerate.sh) when the model or the
extraction changes, and the commit that changes it shows and explains the diff.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "extract.jsonl"


def test_extraction_output_matches_the_golden_file_exactly():
    inputs = ["samples/report-2024-returns.txt"] + sorted(
        str(p.relative_to(REPO)) for p in (REPO / "corpus" / "clean").glob("00[0-4]_*.txt"))
    res = subprocess.run([str(Path(sys.executable).parent / "nkner"), "extract", *inputs, "-f", "jsonl",
                          "--no-progress"], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    want = GOLDEN.read_text(encoding="utf-8").splitlines()
    got = res.stdout.splitlines()
    assert [json.loads(x)["source"] for x in got] == [json.loads(x)["source"] for x in want]
    for g, w in zip(got, want):
        if g != w:  # name the first report and field that differ, not a 100 kB string diff
            gj, wj = json.loads(g), json.loads(w)
            field = next(k for k in wj if gj.get(k) != wj[k])
            pytest.fail(f"{wj['source']}: '{field}' differs from tests/golden/extract.jsonl "
                        "(regenerate deliberately with tests/golden/regenerate.sh if the change is intended)")

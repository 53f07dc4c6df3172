"""The wheels `make dist` builds work outside the checkout: a fresh virtual environment with the
locked dependencies (this environment's, made visible through a .pth file, so nothing is downloaded
but the build tools pip isolates) plus the project's wheel and the model's wheel (`spacy package`)
gives an `nkner extract` that finds the model by its package name and writes the same output as the
checkout."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "report-2024-returns.txt"


def sh(*args, **kw):
    res = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)
    assert res.returncode == 0, f"{args}: {res.stderr[-3000:]}"
    return res.stdout


def test_wheels_give_a_working_extract_outside_the_checkout(tmp_path):
    from nkner.pipeline.package import MODEL_PACKAGE

    meta = json.loads((REPO / "models" / "nkner_default" / "meta.json").read_text())
    dist = tmp_path / "dist"
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", dist, REPO)
    (tmp_path / "pkg").mkdir()
    sh(sys.executable, "-m", "spacy", "package", REPO / "models" / "nkner_default", tmp_path / "pkg",
       "--build", "none", "--force")
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", dist,
       tmp_path / "pkg" / f"{MODEL_PACKAGE}-{meta['version']}")
    wheels = sorted(p.name for p in dist.iterdir())
    assert wheels == [f"{MODEL_PACKAGE}-{meta['version']}-py3-none-any.whl", f"nkner-{meta['version']}-py3-none-any.whl"]

    venv = tmp_path / "venv"
    sh(sys.executable, "-m", "venv", venv)
    site = Path(sh(venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "locked_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    sh(venv / "bin" / "python", "-m", "pip", "install", "--no-deps", "--quiet", *sorted(dist.iterdir()))

    env = {k: v for k, v in os.environ.items() if k not in ("NKNER_MODEL", "NKNER_DATA", "PYTHONPATH")}
    where = sh(venv / "bin" / "python", "-c", "import nkner, nkner.extract.run as r; print(nkner.__file__); "
               "print(r.model_path())", cwd=tmp_path, env=env).split()
    assert where[0].startswith(str(site)) and MODEL_PACKAGE in where[1]  # the wheel's code, the package's model
    installed = json.loads(sh(venv / "bin" / "nkner", "extract", SAMPLE, "-f", "json", cwd=tmp_path, env=env))
    checkout = json.loads(sh(Path(sys.executable).parent / "nkner", "extract", SAMPLE, "-f", "json", cwd=REPO))
    assert installed == checkout and installed[0]["facts"]

"""The README's Python code blocks run as written, each in a fresh interpreter, and the documented
``nkner.extract(...)`` works whichever of ``nkner`` / ``nkner.extract`` was imported first."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BLOCKS = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_python_block_runs(i):
    res = _python(BLOCKS[i])
    assert res.returncode == 0, res.stderr


ORDERS = {
    "load first": "import nkner\nnlp = nkner.load()\n",
    "package imported first": "import nkner.extract\nimport nkner\n",
    "submodule imported first": "from nkner.extract.run import extract_text\nimport nkner\n",
    "nothing loaded": "import nkner\n",
}


@pytest.mark.parametrize("prelude", ORDERS.values(), ids=list(ORDERS))
def test_documented_api_in_any_import_order(prelude):
    code = prelude + (
        "r = nkner.extract('Chinese authorities deported up to 600 North Koreans in October 2023.')\n"
        "assert isinstance(r, dict) and r['entities'], r\n"
        "rs = nkner.extract(['China deported 60 North Koreans.', 'Nothing here.'])\n"
        "assert isinstance(rs, list) and len(rs) == 2\n"
        "assert callable(nkner.extract.annotate)\n")
    res = _python(code)
    assert res.returncode == 0, res.stderr

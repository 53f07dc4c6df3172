"""The Dask engine's parts that need no cluster: what a worker does with a batch (a document that
fails is an error object, the others are the plain run's objects), batching by words, the message
when Dask is missing, and the CLI's refusals.  The cluster itself: tests/integration/test_dask.py."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from spacy.language import Language

from nkner.extract.distributed import EngineError, _batches, extract_batch, read_document, require_dask
from nkner.extract.inputs import Source
from nkner.extract.run import model_path, process_sources

TEXTS = ["China forcibly returned 60 North Koreans in April 2024.",
         "BOOM: this report makes the test component raise.",
         "South Korea resettled 236 defectors last year, the ministry said."]


@Language.component("test_fail_on_boom")
def _fail_on_boom(doc):
    if doc.text.startswith("BOOM"):
        raise RuntimeError("component failed on this report")
    return doc


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Source]:
    folder = tmp_path_factory.mktemp("reports")
    out = []
    for i, text in enumerate(TEXTS):
        path = folder / f"r{i}.txt"
        path.write_text(text, encoding="utf-8")
        out.append(Source(str(path), path))
    return out


def test_a_document_that_fails_is_an_error_object_and_the_others_go_on(files):
    import spacy

    from nkner.extract.distributed import _Collect

    nlp = spacy.load(model_path())
    nlp.add_pipe("test_fail_on_boom", first=True)
    docs = [read_document(s, i) for i, s in enumerate(files)]
    got = extract_batch(docs, nlp)
    assert [index for index, _, _ in got] == [0, 1, 2]
    assert got[1][1] == {"source": files[1].name, "error": "extraction failed on a Dask worker: RuntimeError: "
                         "component failed on this report"}
    plain = []
    for item in process_sources([files[0], files[2]], nlp):
        collect = _Collect()
        collect.stream(item.header, item.chunks)
        plain += collect.objects
    assert [got[0][1], got[2][1]] == plain and plain[0]["entities"]


def test_documents_travel_in_batches_of_about_the_words_asked(tmp_path, files):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00")  # a UTF-16 byte-order mark, then half a code unit
    sources = files[:2] + [Source(str(bad), bad)] + files[2:]
    groups = list(_batches(sources, batch_words=18))
    names = [[Path(src.name).name for src, _ in g] for g in groups]
    assert names == [["r0.txt", "r1.txt"], ["bad.txt"], ["r2.txt"]]  # 9 + 8 words, then 11 would pass 18
    assert isinstance(groups[1][0][1], dict) and "error" in groups[1][0][1]  # never shipped
    assert [d.words for _, d in groups[0]] == [9, 8]


def test_missing_dask_is_a_clear_usage_error(monkeypatch, files):
    from nkner.extract.batch import run

    monkeypatch.setitem(sys.modules, "distributed", None)  # what an install without the extra looks like
    with pytest.raises(EngineError, match=r"pip install 'nkner\[dask\]'"):
        require_dask()
    err = io.StringIO()
    assert run([files[0].name], engine="dask", err=err, out=io.StringIO()) == 2
    assert "the Dask engine needs the optional dependencies" in err.getvalue()


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler needs --engine dask"),
    (["--workers", "2", "--batch-words", "100"], "--workers, --batch-words need --engine dask"),
    (["--engine", "dask", "--n-process", "2"], "with --engine dask give --workers"),
])
def test_engine_options_are_checked(args, message, files):
    from typer.testing import CliRunner

    from nkner.cli import app

    res = CliRunner().invoke(app, ["extract", files[0].name, *args])
    assert res.exit_code == 2 and message in res.output

"""The manifest that makes `nkner extract --engine dask` resumable (nkner.extract.resume), on files
written here: what an interrupted run keeps, what it redoes, what it refuses."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from nkner.extract.formats import writer
from nkner.extract.inputs import Source
from nkner.extract.resume import Manifest, ResumeError, manifest_path, partial_path

SETTINGS = {"inputs": ["in"], "format": "jsonl", "rows": "facts", "model": None, "doc_date": None,
            "encoding": None, "min_confidence": None}


def make_inputs(folder: Path, n: int = 4) -> list[Source]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = folder / f"r{i}.txt"
        path.write_text(f"Report {i}: China returned {i + 10} North Koreans.\n", encoding="utf-8")
        out.append(Source(str(path), path, rel=Path(path.name)))
    return out


def result(src: Source) -> dict:
    """A result object as the run writes it (the text hash is what the manifest checks)."""
    text = src.path.read_text(encoding="utf-8")
    return {"source": src.name, "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "model": {"name": "nkner"}, "entities": [], "facts": [], "statements": []}


def write_file_run(output: Path, sources: list[Source], objs: list[dict], settings=SETTINGS) -> Manifest:
    m = Manifest.open(output, False, settings, sources)
    with m:
        for obj in objs:
            writer("jsonl", m.spool).report(obj)
            m.record(obj)
    return m


def test_an_interrupted_file_run_keeps_its_records_and_cuts_a_half_written_one(tmp_path):
    sources = make_inputs(tmp_path / "in")
    out = tmp_path / "out.jsonl"
    write_file_run(out, sources, [result(s) for s in sources[:3]])
    complete = partial_path(out).read_bytes()
    with open(partial_path(out), "a", encoding="utf-8") as fh:
        fh.write('{"source": "cut off')  # the run was killed while writing the fourth record

    m = Manifest.open(out, False, SETTINGS, sources)
    assert list(m.kept) == [s.name for s in sources[:3]]
    assert partial_path(out).read_bytes() == complete
    with m:
        obj = result(sources[3])
        writer("jsonl", m.spool).report(obj)
        m.record(obj)
    m.finish()
    assert [json.loads(x)["source"] for x in out.read_text().splitlines()] == [s.name for s in sources]
    assert not manifest_path(out, False).exists() and not partial_path(out).exists()


def test_changed_failed_and_vanished_inputs_are_dropped_and_the_rest_kept_in_order(tmp_path):
    sources = make_inputs(tmp_path / "in", 5)
    out = tmp_path / "out.jsonl"
    objs = [result(s) for s in sources]
    objs[1] = {"source": sources[1].name, "error": "not valid UTF-8 text"}
    write_file_run(out, sources, objs)
    sources[2].path.write_text("Report 2, edited since.\n", encoding="utf-8")

    m = Manifest.open(out, False, SETTINGS, [s for s in sources if s is not sources[4]])
    assert list(m.kept) == [sources[0].name, sources[3].name]
    kept = [json.loads(x) for x in partial_path(out).read_text().splitlines()]
    assert kept == [objs[0], objs[3]]
    entries = [json.loads(x) for x in manifest_path(out, False).read_text().splitlines()[1:]]
    assert entries[-1]["end"] == partial_path(out).stat().st_size  # offsets follow the compacted file


def test_a_manifest_of_other_settings_is_refused_and_no_resume_starts_over(tmp_path):
    sources = make_inputs(tmp_path / "in")
    out = tmp_path / "out.jsonl"
    write_file_run(out, sources, [result(sources[0])])
    with pytest.raises(ResumeError, match=r"other settings \(doc_date, format\).*--no-resume"):
        Manifest.open(out, False, dict(SETTINGS, format="csv", doc_date="2025-01-01"), sources)
    m = Manifest.open(out, False, dict(SETTINGS, format="csv"), sources, resume=False)
    assert m.kept == {} and partial_path(out).exists()  # nothing removed before the run starts writing
    with m:
        assert partial_path(out).stat().st_size == 0
    assert json.loads(manifest_path(out, False).read_text())["format"] == "csv"


def test_other_formats_are_rendered_from_the_partial_file_when_complete(tmp_path):
    sources = make_inputs(tmp_path / "in", 2)
    out = tmp_path / "out.csv"
    m = write_file_run(out, sources, [result(s) for s in sources], dict(SETTINGS, format="csv"))
    rendered = []

    def render():
        rendered.extend(o["source"] for o in m.spooled())
        out.write_text("csv\n")

    m.finish(render)
    assert rendered == [s.name for s in sources] and out.read_text() == "csv\n"
    assert not partial_path(out).exists() and not manifest_path(out, False).exists()


def test_a_folder_run_redoes_an_input_whose_output_file_is_gone(tmp_path):
    sources = make_inputs(tmp_path / "in", 3)
    folder = tmp_path / "out"
    targets = {s.name: folder / s.rel.with_suffix(".jsonl") for s in sources}
    m = Manifest.open(folder, True, SETTINGS, sources, targets=targets)
    with m:
        for s in sources:
            targets[s.name].parent.mkdir(parents=True, exist_ok=True)
            targets[s.name].write_text("{}\n")
            m.record(result(s), targets[s.name])
    assert manifest_path(folder, True) == folder / ".nkner-manifest.jsonl"
    entry = json.loads(manifest_path(folder, True).read_text().splitlines()[1])
    assert entry["output"] == "r0.jsonl" and entry["sha256"] == result(sources[0])["text_sha256"]
    targets[sources[1].name].unlink()

    m = Manifest.open(folder, True, SETTINGS, sources, targets=targets)
    assert list(m.kept) == [sources[0].name, sources[2].name]
    m.finish()
    assert not manifest_path(folder, True).exists()

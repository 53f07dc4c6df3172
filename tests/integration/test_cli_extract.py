"""`nkner extract` end to end, as a subprocess, with the shipped model on real files."""
from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
NKNER = [str(Path(sys.executable).parent / "nkner"), "extract"]
SAMPLE = REPO / "samples" / "report-2024-returns.txt"
LABELS = {"ACTOR", "LEGAL_INSTRUMENT", "NUMBER", "EVENT", "DATE", "LOCATION"}
EVENT_TYPES = {"repatriation", "flight", "detention", "abuse", "trafficking", "crisis", "legal_action", "advocacy"}
ROLES = ("agent", "affected", "time", "place", "instrument")


def run(*args, stdin: bytes | None = None, cwd: Path = REPO):
    return subprocess.run(NKNER + list(args), input=stdin, capture_output=True, cwd=cwd, timeout=300)


def check_contract(obj: dict, text: str) -> None:
    """Every offset indexes the input exactly; labels, types and relation names are the schema's."""
    assert set(obj) == {"source", "text_sha256", "model", "entities", "facts", "statements"}
    assert obj["model"]["schema"] == "v1" and obj["model"]["name"] == "nkner"
    for e in obj["entities"]:
        assert text[e["start"]:e["end"]] == e["text"]
        assert e["label"] in LABELS
        if e["label"] == "EVENT":
            assert e["event_type"] in EVENT_TYPES
    for f in obj["facts"]:
        assert f["event_type"] in EVENT_TYPES
        t = f["trigger"]
        assert text[t["start"]:t["end"]] == t["text"]
        assert f["sentence"]["start"] <= t["start"] < t["end"] <= f["sentence"]["end"]
        for role in ROLES:
            for a in f[role]:
                assert text[a["start"]:a["end"]] == a["text"]
                if "count" in a:
                    assert text[a["count"]["start"]:a["count"]["end"]] == a["count"]["text"]
        assert 0 <= f["confidence"] <= 1
    for s in obj["statements"]:
        assert s["relation"] in ("party_to", "quantity")


def test_sample_report_jsonl_respects_the_contract():
    res = run(str(SAMPLE), "--format", "jsonl")
    assert res.returncode == 0, res.stderr.decode()
    lines = res.stdout.decode().splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    text = SAMPLE.read_text(encoding="utf-8")
    check_contract(obj, text)
    assert obj["source"] == str(SAMPLE)
    labels = {e["label"] for e in obj["entities"]}
    assert {"ACTOR", "EVENT", "DATE"} <= labels
    assert any(f["event_type"] == "repatriation" for f in obj["facts"])


def test_crlf_bom_utf16_and_stdin_offsets_index_the_text_as_read(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8").replace("\n", "\r\n")
    files = {"crlf.txt": text.encode("utf-8"), "bom.txt": codecs.BOM_UTF8 + text.encode("utf-8"),
             "u16.txt": codecs.BOM_UTF16_LE + text.encode("utf-16-le")}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    res = run(str(tmp_path), "-f", "jsonl")
    assert res.returncode == 0, res.stderr.decode()
    objs = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert len(objs) == 3
    for obj in objs:
        check_contract(obj, text)
    assert len({o["text_sha256"] for o in objs}) == 1
    res = run("-", "-f", "jsonl", stdin=text.encode("utf-8"))
    assert res.returncode == 0
    obj = json.loads(res.stdout)
    assert obj["source"] == "<stdin>"
    check_contract(obj, text)


def test_bad_inputs_are_reported_and_the_rest_still_processed(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Chinese authorities deported 60 North Koreans in April 2024.", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 in Dandong".encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "empty.txt").write_bytes(b"")
    out = tmp_path / "out.jsonl"
    res = run(str(tmp_path), str(tmp_path / "missing.txt"), "-f", "jsonl", "-o", str(out))
    assert res.returncode == 1
    err = res.stderr.decode()
    assert "latin1.txt: not valid UTF-8" in err and "binary.txt: binary data" in err
    assert "missing.txt: no such file" in err
    objs = {Path(o["source"]).name: o for o in map(json.loads, out.read_text().splitlines())}
    assert set(objs) == {"binary.txt", "empty.txt", "good.txt", "latin1.txt"}
    assert "error" in objs["latin1.txt"] and "error" in objs["binary.txt"]
    assert objs["empty.txt"]["entities"] == [] and objs["empty.txt"]["facts"] == []
    assert objs["good.txt"]["entities"]


@pytest.mark.parametrize("fmt", ["json", "csv", "table", "html"])
def test_other_formats_render(tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    res = run(str(SAMPLE), "-f", fmt, "-o", str(out))
    assert res.returncode == 0, res.stderr.decode()
    body = out.read_text(encoding="utf-8")
    if fmt == "json":
        assert isinstance(json.loads(body), list)
    elif fmt == "csv":
        assert body.splitlines()[0].startswith("source,event_type,trigger")
        assert len(body.splitlines()) > 1
    elif fmt == "html":
        assert "<mark" in body and "Facts (" in body
    else:  # one row per fact, in the order of the JSON output, each starting with its event type
        facts = json.loads(run(str(SAMPLE), "-f", "json").stdout)[0]["facts"]
        assert facts and f"{len(facts)} facts" in body
        rows = [cells[1].strip() for cells in (line.split("│") for line in body.splitlines() if line.startswith("│"))
                if cells[1].strip()]
        assert rows == [f["event_type"] for f in facts]


def test_output_folder_gets_one_file_per_input(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        (src / f"r{i}.txt").write_text(f"China deported {i + 2} defectors in 2024.", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    res = run(str(src), "-f", "jsonl", "-o", str(out))
    assert res.returncode == 0, res.stderr.decode()
    assert sorted(p.name for p in out.iterdir()) == ["r0.jsonl", "r1.jsonl", "r2.jsonl"]


def test_missing_model_is_a_usage_error(tmp_path):
    res = run(str(SAMPLE), "--model", str(tmp_path / "nope"))
    assert res.returncode == 2
    assert "no nkner pipeline" in res.stderr.decode()


def test_doc_date_resolves_relative_dates():
    res = run("-", "-f", "jsonl", "--doc-date", "2025-08-14",
              stdin="Last year Chinese authorities deported 60 North Koreans.".encode())
    assert res.returncode == 0, res.stderr.decode()
    dates = [e for e in json.loads(res.stdout)["entities"] if e["label"] == "DATE"]
    assert dates and dates[0]["text"] == "Last year" and dates[0]["iso"] == "2024"
    assert run("-", "--doc-date", "14/08/2025", stdin=b"x").returncode == 2

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
    assert set(objs) == {"binary.txt", "empty.txt", "good.txt", "latin1.txt", "missing.txt"}
    assert "error" in objs["latin1.txt"] and "error" in objs["binary.txt"]
    assert objs["missing.txt"] == {"source": str(tmp_path / "missing.txt"), "error": "no such file or folder"}
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


def test_output_folder_is_created_keeps_relative_paths_and_never_overwrites_silently(tmp_path):
    src = tmp_path / "in"
    for sub in ("a", "b"):
        (src / sub).mkdir(parents=True)
        (src / sub / "report.txt").write_text(f"China deported 60 defectors from {sub} in 2024.", encoding="utf-8")
    res = run(str(src), "-f", "csv", "-o", str(tmp_path / "out") + "/")   # does not exist yet
    assert res.returncode == 0, res.stderr.decode()
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == ["a/report.csv", "b/report.csv"]
    assert str(src / "a" / "report.txt") in (tmp_path / "out" / "a" / "report.csv").read_text()
    # two inputs that would land on the same file: refused before anything is written
    res = run(str(src / "a" / "report.txt"), str(src / "b" / "report.txt"), "-o", str(tmp_path / "out2") + "/")
    assert res.returncode == 2
    assert "would both be written to" in res.stderr.decode()
    assert not (tmp_path / "out2").exists()
    # writing again over an existing output says so
    res = run(str(src), "-f", "csv", "-o", str(tmp_path / "out") + "/")
    assert res.returncode == 0 and "replacing" in res.stderr.decode()


@pytest.mark.parametrize("name,check", [
    ("facts.csv", lambda body: body.startswith("source,")),
    ("page.html", lambda body: body.startswith("<!DOCTYPE html>")),
    ("all.json", lambda body: isinstance(json.loads(body), list)),
    ("table.txt", lambda body: "facts" in body and not body.lstrip().startswith("{")),
])
def test_format_follows_the_output_extension(tmp_path, name, check):
    res = run(str(SAMPLE), "-o", str(tmp_path / name))
    assert res.returncode == 0, res.stderr.decode()
    assert check((tmp_path / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("bad,message", [("2024-13-45", "no month 13"), ("2025-02-30", "has no day 30"),
                                         ("14/08/2025", "YYYY-MM-DD")])
def test_invalid_doc_date_is_a_usage_error(bad, message):
    res = run(str(SAMPLE), "--doc-date", bad)
    assert res.returncode == 2
    assert message in res.stderr.decode() and "Traceback" not in res.stderr.decode()


def test_dateline_dates_the_report_and_its_city_is_no_actor(tmp_path):
    text = ("SEOUL, March 12, 2025 (Yonhap) -- Chinese authorities deported 60 North Koreans last week, "
            "South Korea's unification ministry said on Monday.\n")
    res = run("-", "-f", "jsonl", stdin=text.encode())
    assert res.returncode == 0, res.stderr.decode()
    obj = json.loads(res.stdout)
    check_contract(obj, text)
    by_text = {e["text"]: e for e in obj["entities"]}
    assert by_text["SEOUL"]["label"] == "LOCATION"
    assert not any(a["text"] == "SEOUL" for f in obj["facts"] for r in ROLES for a in f[r])
    assert by_text["last week"]["iso"] == "2025-W10"
    assert by_text["Monday"]["iso"] == "2025-03-10"
    # an explicit --doc-date wins over the dateline
    res = run("-", "-f", "jsonl", "--doc-date", "2024-01-10", stdin=text.encode())
    assert {e["text"]: e for e in json.loads(res.stdout)["entities"]}["Monday"]["iso"] == "2024-01-08"


def test_encoding_option_reads_cp1252(tmp_path):
    text = "Chinese authorities deported 60 North Koreans \u2013 \u201cagain\u201d \u2013 from Dandong caf\xe9s.\r\n"
    p = tmp_path / "win.txt"
    p.write_bytes(text.encode("cp1252"))
    res = run(str(p), "-f", "jsonl")
    assert res.returncode == 1 and "--encoding cp1252" in res.stderr.decode()
    res = run(str(p), "-f", "jsonl", "--encoding", "cp1252")
    assert res.returncode == 0, res.stderr.decode()
    check_contract(json.loads(res.stdout), text)
    assert run(str(p), "--encoding", "klingon").returncode == 2


def test_non_english_text_gets_a_warning(tmp_path):
    fr = tmp_path / "fr.txt"
    fr.write_text("Les autorités chinoises ont rapatrié de force des centaines de réfugiés nord-coréens vers "
                  "la Corée du Nord, selon des organisations de défense des droits humains qui dénoncent une "
                  "violation du principe de non-refoulement.", encoding="utf-8")
    res = run(str(fr), str(SAMPLE), "-f", "jsonl", "--no-progress")
    assert res.returncode == 0
    err = res.stderr.decode()
    assert "fr.txt: warning: the text does not look English" in err
    assert str(SAMPLE) not in err


def test_min_confidence_filters_facts(tmp_path):
    res = run(str(SAMPLE), "-f", "jsonl")
    facts = json.loads(res.stdout)["facts"]
    cut = sorted(f["confidence"] for f in facts)[len(facts) // 2]
    res = run(str(SAMPLE), "-f", "jsonl", "--min-confidence", str(cut))
    kept = json.loads(res.stdout)["facts"]
    assert 0 < len(kept) < len(facts) and all(f["confidence"] >= cut for f in kept)


def test_progress_for_one_long_input(tmp_path):
    p = tmp_path / "long.txt"
    p.write_text((SAMPLE.read_text(encoding="utf-8") + "\n") * 20, encoding="utf-8")
    res = run(str(p), "-f", "jsonl", "-o", str(tmp_path / "o.jsonl"))
    assert res.returncode == 0
    assert "characters" in res.stderr.decode()
    res = run(str(SAMPLE), "-f", "jsonl", "-o", str(tmp_path / "o.jsonl"))
    assert res.stderr.decode() == ""   # one short input: no bar


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


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text is ``lines`` (Helvetica), written by hand: no PDF writer needed."""
    ops = "BT /F1 11 Tf 50 750 Td 14 TL " + " ".join(
        "(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*" for ln in lines) + " ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PAGE = """<!DOCTYPE html><html><head><title>Report</title><script>var tracking = "Chinese police";</script>
<style>.x{color:red}</style></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li><li>Donate to Amnesty</li></ul></nav>
<article><h1>China returns North Koreans</h1>
<p>Chinese authorities forcibly repatriated at least 60 North Korean refugees from Dandong in April 2024,
according to human rights groups who spoke to relatives of the detainees in Seoul.</p>
<p>The returnees face detention and torture in North Korea, the groups said, calling on Beijing to respect
the 1951 Refugee Convention and the principle of non-refoulement.</p></article>
<footer>Copyright 2025 Example Media. Cookie settings. Follow us.</footer></body></html>"""


def test_html_and_pdf_inputs_give_their_text_with_checkable_offsets(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "report.pdf").write_bytes(minimal_pdf([
        "Chinese authorities forcibly repatriated 60 North Korean refugees in April 2024.",
        "The UN Human Rights Council urged China to respect the 1951 Refugee Convention."]))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    res = run(str(tmp_path), "-f", "jsonl", "--no-progress")
    assert res.returncode == 1   # broken.pdf
    objs = {Path(o["source"]).name: o for o in map(json.loads, res.stdout.decode().splitlines())}
    assert "error" in objs["broken.pdf"] and "broken.pdf" in res.stderr.decode()
    for name in ("page.html", "report.pdf"):
        obj = objs[name]
        text = obj.pop("text")
        check_contract(obj, text)
        assert obj["text_sha256"] == __import__("hashlib").sha256(text.encode()).hexdigest()
        assert any(f["event_type"] == "repatriation" for f in obj["facts"])
    page = objs["page.html"]
    html_text = run(str(tmp_path / "page.html"), "-f", "json").stdout.decode()
    assert "forcibly repatriated" in html_text
    for noise in ("var tracking", "Cookie settings", "About us", "color:red"):
        assert noise not in html_text
    assert "April 2024" in [e["text"] for e in page["entities"]]


def test_html_page_has_a_legend_normalized_values_and_facts_linked_to_sentences(tmp_path):
    from html.parser import HTMLParser

    out = tmp_path / "page.html"
    assert run(str(SAMPLE), "-o", str(out)).returncode == 0
    page = out.read_text(encoding="utf-8")

    class Links(HTMLParser):
        ids, hrefs, marks = set(), [], 0

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if "id" in a:
                self.ids.add(a["id"])
            if tag == "a" and a.get("href", "").startswith("#"):
                self.hrefs.append(a["href"][1:])
            self.marks += tag == "mark"

    p = Links()
    p.feed(page)
    obj = json.loads(run(str(SAMPLE), "-f", "jsonl").stdout)
    assert "Legend" in page and all(label in page for label in LABELS)
    assert p.marks == len(obj["entities"])
    assert len(p.hrefs) == len(obj["facts"]) and set(p.hrefs) <= p.ids   # every fact links to its sentence
    for e in obj["entities"]:
        if e.get("iso"):
            assert f"<span class='val'>{e['iso']}</span>" in page
        if e.get("event_type"):
            assert f"<span class='val'>{e['event_type']}</span>" in page


@pytest.mark.parametrize("rows,first_column_after_source", [("entities", "start"), ("statements", "relation"),
                                                            ("facts", "event_type")])
def test_csv_of_entities_statements_and_facts(rows, first_column_after_source):
    import csv
    import io

    obj = json.loads(run(str(SAMPLE), "-f", "jsonl").stdout)
    res = run(str(SAMPLE), "-f", "csv", "--rows", rows)
    assert res.returncode == 0, res.stderr.decode()
    table = list(csv.DictReader(io.StringIO(res.stdout.decode())))
    assert list(table[0])[1] == first_column_after_source
    assert len(table) == len(obj[rows])
    text = SAMPLE.read_text(encoding="utf-8")
    if rows == "entities":
        for r in table:
            assert text[int(r["start"]):int(r["end"])] == r["text"]


def test_a_long_run_without_spaces_gives_the_same_report_from_a_file_and_from_memory(tmp_path):
    """File streaming (the CLI) and in-memory text (``nkner.extract``) cut a report the same way, so
    they give the same objects, with offsets into the whole text."""
    import nkner

    prose = SAMPLE.read_text(encoding="utf-8")
    text = prose + "x" * 25_000 + "\n" + prose.replace("\n", " ") + "y" * 12_000 + "\n" + prose
    p = tmp_path / "run.txt"
    p.write_text(text, encoding="utf-8")
    res = run(str(p), "-f", "jsonl", "--no-progress")
    assert res.returncode == 0, res.stderr.decode()
    from_file = json.loads(res.stdout)
    check_contract(from_file, text)
    in_memory = nkner.extract(text)
    for key in ("entities", "facts", "statements"):
        assert from_file[key] == in_memory[key]
    # entities are found in the prose after each run, at their offsets in the whole text
    assert min(e["start"] for e in from_file["entities"] if e["start"] > text.rindex("y")) > 37_000

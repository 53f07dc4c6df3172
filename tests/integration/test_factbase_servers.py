"""The fact base with its real parts: PostgreSQL (a real server on 127.0.0.1, Debian's binaries, a
temporary data folder), Datasette (started and asked for pages and JSON), a process killed
mid-ingest, and `nkner db ingest` running the shipped model on files."""
from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from nkner.factbase import schema as S
from nkner.factbase.browse import Browser
from nkner.factbase.cli import db_app
from nkner.factbase.ingest import ingest_jsonl, ingest_results
from nkner.factbase.pgserver import PostgresServer
from nkner.factbase.query import EXAMPLE_QUERIES, Filters, name_key, query_facts, query_groups, run_example
from nkner.factbase.synth import write_jsonl

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "extract.jsonl"


def golden() -> list[dict]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]


def table_counts(db) -> dict[str, int]:
    with S.open_db(db, create=False).connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in S.metadata.sorted_tables if t.name != "meta"}


@pytest.fixture(scope="module")
def postgres():
    """A real PostgreSQL server for this module (as an unprivileged user when the tests run as root)."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="module")
def sqlite_golden(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("fbi") / "golden.sqlite"
    with contextlib.chdir(REPO):
        ingest_jsonl(db, GOLDEN)
    return db


def test_postgres_holds_the_same_base_as_sqlite(postgres, sqlite_golden, monkeypatch):
    monkeypatch.chdir(REPO)
    url = postgres.url
    summary = ingest_jsonl(url, GOLDEN)
    assert summary.added == 6 and not summary.errors
    assert table_counts(url) == table_counts(sqlite_golden)
    for filters in (Filters(actor="Beijing"), Filters(place="Jilin"), Filters(instrument="Refugee Convention"),
                    Filters(event_type="flight", since="1990", until="2000"), Filters()):
        pg = [(f["fact_id"], f["sentence"], f["agents"], f["figures"]) for f in query_facts(url, filters)]
        lite = [(f["fact_id"], f["sentence"], f["agents"], f["figures"]) for f in query_facts(sqlite_golden, filters)]
        assert pg == lite and pg, filters
    assert [g["group_id"] for g in query_groups(url, Filters())] == \
        [g["group_id"] for g in query_groups(sqlite_golden, Filters())]
    key = name_key("Refugee Convention", "LEGAL_INSTRUMENT")
    for name in EXAMPLE_QUERIES:
        assert run_example(url, name, key) == run_example(sqlite_golden, name, key), name

    # idempotency and replacement on PostgreSQL too
    again = ingest_jsonl(url, GOLDEN)
    assert (again.added, again.unchanged) == (0, 6)
    newer = golden()[:1]
    newer[0]["model"]["version"] = "0.3.0"
    newer[0]["facts"] = newer[0]["facts"][:2]
    replaced = ingest_results(url, newer)
    assert replaced.replaced == 1
    with S.open_db(url).connect() as conn:
        rid = newer[0]["text_sha256"][:16]
        assert conn.execute(sa.select(sa.func.count()).select_from(S.facts)
                            .where(S.facts.c.report_id == rid)).scalar_one() == 2
        assert conn.execute(sa.select(S.reports.c.model_version).where(S.reports.c.report_id == rid)).scalar_one() \
            == "0.3.0"


def test_postgres_schema_version_is_checked(postgres):
    url = postgres.url.rsplit("/", 1)[0] + "/versioned"
    import psycopg
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "versioned"')
    S.open_db(url)
    with S.open_db(url).begin() as conn:
        conn.execute(sa.update(S.meta).where(S.meta.c.key == "schema_version").values(value="99"))
    with pytest.raises(S.SchemaVersionError, match="schema version 99"):
        S.open_db(url)
    res = CliRunner().invoke(db_app, ["query", "--db", url])
    assert res.exit_code == 2 and "schema version 99" in res.stderr


def test_a_killed_ingest_leaves_only_whole_reports(tmp_path):
    """SIGKILL an ingest while it writes, then check that every stored report is complete and that
    the next run stores the rest."""
    total = 400
    jsonl = write_jsonl(golden(), total, tmp_path / "many.jsonl")
    db = tmp_path / "killed.sqlite"
    S.open_db(db)
    cmd = [sys.executable, "-m", "nkner.cli", "db", "ingest", "--from-jsonl", str(jsonl), "--db", str(db),
           "--no-progress", "--no-group"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    engine = sa.create_engine(f"sqlite:///{db}")
    stored = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT COUNT(*) FROM reports")).scalar_one()
        if stored:
            break
        time.sleep(0.05)
    time.sleep(0.3)            # into the next batches
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    with S.open_db(db).connect() as conn:
        reports = conn.execute(sa.select(S.reports.c.report_id, S.reports.c.n_facts, S.reports.c.n_entities)).all()
        assert 0 < len(reports) < total
        for rid, n_facts, n_entities in reports:
            assert conn.execute(sa.select(sa.func.count()).select_from(S.facts)
                                .where(S.facts.c.report_id == rid)).scalar_one() == n_facts
            assert conn.execute(sa.select(sa.func.count()).select_from(S.entities)
                                .where(S.entities.c.report_id == rid)).scalar_one() == n_entities
        assert conn.execute(sa.select(sa.func.count()).select_from(S.facts).where(
            ~S.facts.c.report_id.in_(sa.select(S.reports.c.report_id)))).scalar_one() == 0
    summary = ingest_jsonl(db, jsonl, group=False)
    assert summary.unchanged == len(reports) and summary.added == total - len(reports)
    assert table_counts(db)["reports"] == total


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.status, resp.read().decode("utf-8")


def test_datasette_serves_pages_and_json(sqlite_golden, tmp_path):
    from nkner.doccano.server import free_port

    with Browser(sqlite_golden, port=free_port(), log=tmp_path / "datasette.log") as browser:
        status, page = _get(browser.url + "/")
        assert status == 200 and "nkner fact base" in page
        status, page = _get(f"{browser.url}/golden/facts")
        assert status == 200 and "One row per fact" in page and "event_type" in page
        # a canned query, by an alias of the instrument, as JSON
        q = urllib.parse.urlencode({"instrument": "Refugee Convention", "_shape": "array"})
        status, body = _get(f"{browser.url}/golden/facts_citing_an_instrument.json?{q}")
        rows = json.loads(body)
        expected = run_example(sqlite_golden, "facts_citing_an_instrument",
                               name_key("Refugee Convention", "LEGAL_INSTRUMENT"))
        assert rows and [r["fact_id"] for r in rows] == [r["fact_id"] for r in expected]
        # facets on type and on the agents' names
        status, body = _get(f"{browser.url}/golden/facts.json?_size=0")
        facets = json.loads(body)["facet_results"]
        assert {"event_type", "month", "agents"} <= set(facets)
        counts = {f["value"]: f["count"] for f in facets["event_type"]["results"]}
        assert counts["repatriation"] == sum(f["event_type"] == "repatriation" for o in golden() for f in o["facts"])
        status, body = _get(f"{browser.url}/golden/repatriations_by_month.json?_shape=array")
        assert json.loads(body) == json.loads(json.dumps(run_example(sqlite_golden, "repatriations_by_month")))


def test_ingest_runs_the_model_on_files(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    db = tmp_path / "files.sqlite"
    sample = "samples/report-2024-returns.txt"
    res = CliRunner().invoke(db_app, ["ingest", sample, str(tmp_path / "missing.txt"), "--db", str(db),
                                      "--doc-date", "2024-05-02", "--publisher", "Sample Wire", "--no-progress"])
    assert res.exit_code == 1, res.output      # the missing input is named, the sample stored
    assert "missing.txt" in res.stderr and "1 reports added" in res.stderr
    expected = next(o for o in golden() if o["source"] == sample)
    with S.open_db(db).connect() as conn:
        rep = conn.execute(sa.select(S.reports)).one()
        assert (rep.source, rep.publisher, rep.report_date, rep.report_date_from) == \
            (sample, "Sample Wire", "2024-05-02", "given")
        assert rep.text_sha256 == expected["text_sha256"] and rep.has_text
        facts = conn.execute(sa.select(S.facts).order_by(S.facts.c.trigger_start)).all()
    text = (REPO / sample).read_text(encoding="utf-8")
    assert len(facts) == len(expected["facts"])
    assert all(f.sentence == text[f.sentence_start:f.sentence_end] and f.trigger_text in f.sentence for f in facts)
    # a fact without a time of its own is dated by the report
    assert any(f.date_from == "report" and f.month == "2024-05" for f in facts)

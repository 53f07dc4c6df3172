"""The fact base on SQLite: ingest (provenance, idempotency, errors), regrouping, queries, timeline, CLI."""
from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from nkner.factbase import schema as S
from nkner.factbase.browse import metadata
from nkner.factbase.cli import db_app
from nkner.factbase.ingest import (ReportError, fact_dates, ingest_items, ingest_jsonl, ingest_results, iso_range,
                                   month_of, prepare_report, read_jsonl, regroup, stale_types)
from nkner.factbase.query import EXAMPLE_QUERIES, Filters, QueryError, count_facts, name_key, query_facts, \
    query_groups, run_example, write

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "extract.jsonl"


def golden() -> list[dict]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]


def counts(db) -> dict[str, int]:
    engine = S.open_db(db, create=False)
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in S.metadata.sorted_tables if t.name != "meta"}


@pytest.fixture
def in_repo(monkeypatch):
    """Golden sources are paths relative to the repository: read them from there."""
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The golden extraction output stored once (sources read from the repository)."""
    db = tmp_path_factory.mktemp("fb") / "golden.sqlite"
    with contextlib.chdir(REPO):
        summary = ingest_jsonl(db, GOLDEN, publisher=None)
    assert summary.errors == [] and summary.added == 6
    return db


def copy_base(base: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy.sqlite"
    src = sa.create_engine(f"sqlite:///{base}").raw_connection()
    dest = sa.create_engine(f"sqlite:///{dst}").raw_connection()
    src.driver_connection.backup(dest.driver_connection)
    src.close()
    dest.close()
    return dst


# ------------------------------------------------------------------------------------------- dates

@pytest.mark.parametrize("iso,expected", [
    ("2023", ("2023-01-01", "2023-12-31")), ("2024-02", ("2024-02-01", "2024-02-29")),
    ("2023-10-09", ("2023-10-09", "2023-10-09")), ("2025-W33", ("2025-08-11", "2025-08-17")),
    ("2020/2023", ("2020-01-01", "2023-12-31")), ("2024-01/2024-03", ("2024-01-01", "2024-03-31")),
    ("2020/..", ("2020-01-01", None)), ("P5Y", (None, None)), (None, (None, None))])
def test_iso_range(iso, expected):
    assert iso_range(iso) == expected


def test_fact_dates_prefer_the_facts_time_then_the_report_date():
    assert fact_dates(["2023-10"], "2025-03-12") == ("2023-10-01", "2023-10-31", "time")
    assert fact_dates(["2023-10-09", "2023-11"], None) == ("2023-10-09", "2023-11-30", "time")
    assert fact_dates([], "2025-03-12") == ("2025-03-12", "2025-03-12", "report")
    assert fact_dates(["bad"], None) == (None, None, None)
    assert month_of("2023-10-01", "2023-10-31") == "2023-10"
    assert month_of("2023-01-01", "2023-12-31") is None


# ------------------------------------------------------------------------------------------ ingest

def test_ingest_stores_every_row_with_provenance(base):
    objs = golden()
    n = counts(base)
    assert n["reports"] == 6
    assert n["facts"] == sum(len(o["facts"]) for o in objs)
    assert n["entities"] == sum(len(o["entities"]) for o in objs)
    assert n["statements"] == sum(len(o["statements"]) for o in objs)
    assert n["fact_args"] == sum(len(f[r]) for o in objs for f in o["facts"]
                                 for r in ("agent", "affected", "time", "place", "instrument"))
    engine = S.open_db(base)
    with engine.connect() as conn:
        reps = {r.source: r for r in conn.execute(sa.select(S.reports))}
        assert {o["source"] for o in objs} == set(reps)
        for o in objs:
            r = reps[o["source"]]
            assert r.text_sha256 == o["text_sha256"] and r.model_version == o["model"]["version"]
            assert r.has_text  # the source files are in the repository with the same SHA-256
        # sentences and offsets index the report's text
        text = (REPO / "samples" / "report-2024-returns.txt").read_text(encoding="utf-8")
        rid = hashlib.sha256(text.encode()).hexdigest()[:16]
        rows = conn.execute(sa.select(S.facts).where(S.facts.c.report_id == rid)).all()
        assert len(rows) == len(objs[0]["facts"])
        for row in rows:
            assert text[row.trigger_start:row.trigger_end] == row.trigger_text
            assert row.sentence == text[row.sentence_start:row.sentence_end]
            assert row.sentence_start <= row.trigger_start < row.trigger_end <= row.sentence_end
        args = conn.execute(sa.select(S.fact_args).join(S.facts, S.facts.c.fact_id == S.fact_args.c.fact_id)
                            .where(S.facts.c.report_id == rid)).all()
        assert args and all(text[a.start_char:a.end_char] == a.text for a in args)
        # "Chinese authorities" is an agent stored under the canonical name China
        assert any(a.text == "Chinese authorities" and a.name == "China" and a.name_key == "china" for a in args)
        statements = conn.execute(sa.select(S.statements).where(S.statements.c.report_id == rid)).all()
        assert statements and all(s.sentence and s.sentence_start <= s.from_start < s.sentence_end
                                  for s in statements)


def test_same_text_and_model_is_not_stored_twice(base, tmp_path, in_repo):
    db = copy_base(base, tmp_path)
    before = counts(db)
    summary = ingest_jsonl(db, GOLDEN)
    assert (summary.added, summary.unchanged, summary.facts) == (0, 6, 0)
    assert counts(db) == before


def test_a_newer_model_version_replaces_the_report_and_an_older_is_left_out(base, tmp_path, in_repo):
    db = copy_base(base, tmp_path)
    newer = golden()[:2]
    for o in newer:
        o["model"]["version"] = "0.2.0"
        o["facts"] = o["facts"][:3]   # the new model finds fewer facts: the old rows must all go
    summary = ingest_results(db, newer)
    assert (summary.added, summary.replaced, summary.facts) == (0, 2, 6)
    engine = S.open_db(db)
    with engine.connect() as conn:
        for o in newer:
            rid = o["text_sha256"][:16]
            row = conn.execute(sa.select(S.reports).where(S.reports.c.report_id == rid)).one()
            assert row.model_version == "0.2.0" and row.n_facts == 3
            assert conn.execute(sa.select(sa.func.count()).select_from(S.facts)
                                .where(S.facts.c.report_id == rid)).scalar_one() == 3
        # every fact still belongs to exactly one group after the regrouping
        n_members = conn.execute(sa.select(sa.func.count()).select_from(S.group_members)).scalar_one()
        n_facts = conn.execute(sa.select(sa.func.count()).select_from(S.facts)).scalar_one()
        assert n_members == n_facts
        assert conn.execute(sa.select(sa.func.count()).select_from(S.fact_args).where(
            ~S.fact_args.c.fact_id.in_(sa.select(S.facts.c.fact_id)))).scalar_one() == 0
    older = golden()[:1]
    older[0]["model"]["version"] = "0.0.9"
    summary = ingest_results(db, older)
    assert (summary.kept_newer, summary.replaced, summary.added) == (1, 0, 0)


def test_bad_inputs_are_named_and_the_others_stored(tmp_path, in_repo):
    objs = golden()[:2]
    wrong = copy.deepcopy(objs[1])
    wrong["text_sha256"] = objs[0]["text_sha256"]       # claims the sample's text: offsets do not fit
    wrong["source"] = "samples/report-2024-returns.txt"
    lines = [json.dumps(objs[1]), "{not json", json.dumps({"source": "x.pdf", "error": "no text"}),
             json.dumps(wrong), json.dumps(objs[0])]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = io.StringIO()
    summary = ingest_jsonl(tmp_path / "b.sqlite", path, err=err)
    assert summary.added == 2
    names = [name for name, _ in summary.errors]
    assert names == [f"{path}:2", "x.pdf", "samples/report-2024-returns.txt"]
    assert "not JSON" in summary.errors[0][1] and "no text" in summary.errors[1][1]
    assert "offsets do not index this text" in summary.errors[2][1]
    assert f"{path}:2" in err.getvalue()


def test_contract_violations_are_report_errors():
    obj = golden()[0]
    with pytest.raises(ReportError, match="text_sha256"):
        prepare_report(dict(obj, text_sha256="abc"))
    bad = copy.deepcopy(obj)
    bad["facts"][0]["event_type"] = "picnic"
    with pytest.raises(ReportError, match="event_type"):
        prepare_report(bad)
    bad = copy.deepcopy(obj)
    bad["facts"][0]["trigger"]["start"] += 1
    text = (REPO / obj["source"]).read_text(encoding="utf-8")
    with pytest.raises(ReportError, match="offsets do not index"):
        prepare_report(bad, text)
    rep = prepare_report(obj)   # without the text: stored without sentences
    assert not rep.report["has_text"] and all(f["sentence"] is None for f in rep.facts)


def test_report_date_from_option_object_or_header(tmp_path):
    text = "SEOUL, March 12, 2025 (Yonhap) -- China deported 60 North Koreans last month.\n"
    sha = hashlib.sha256(text.encode()).hexdigest()
    obj = {"source": "<text>", "text_sha256": sha, "model": {"name": "nkner", "version": "0.1.0"},
           "entities": [], "facts": [], "statements": []}
    db = tmp_path / "d.sqlite"
    ingest_items(db, [(obj, text)], group=False)
    ingest_items(db, [(dict(obj, text_sha256="b" * 64, report_date="2024-01-02"), None)], group=False)
    ingest_items(db, [(dict(obj, text_sha256="c" * 64), None)], doc_date="2023-05-06", group=False)
    with S.open_db(db).connect() as conn:
        got = {r.report_id[:1]: (r.report_date, r.report_date_from)
               for r in conn.execute(sa.select(S.reports))}
    assert got[sha[0]] == ("2025-03-12", "dateline")
    assert got["b"] == ("2024-01-02", "input") and got["c"] == ("2023-05-06", "given")


def test_an_interrupted_run_keeps_only_whole_reports(tmp_path, in_repo):
    objs = golden()

    def stream():
        yield objs[0]
        yield objs[1]
        raise KeyboardInterrupt

    db = tmp_path / "k.sqlite"
    with pytest.raises(KeyboardInterrupt):
        ingest_items(db, ((o, None) for o in stream()), batch_reports=1)
    engine = S.open_db(db)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(S.reports.c.report_id, S.reports.c.n_facts)).all()
        assert len(stored) == 2
        for rid, n in stored:
            assert conn.execute(sa.select(sa.func.count()).select_from(S.facts)
                                .where(S.facts.c.report_id == rid)).scalar_one() == n
    assert stale_types(db)              # never regrouped: the next run will
    summary = ingest_jsonl(db, GOLDEN)
    assert (summary.added, summary.unchanged) == (4, 2) and stale_types(db) == []


# ----------------------------------------------------------------------------------- schema, engines

def test_schema_version_and_foreign_databases_are_refused(tmp_path):
    db = tmp_path / "v.sqlite"
    engine = S.open_db(db)
    with engine.begin() as conn:
        conn.execute(sa.update(S.meta).where(S.meta.c.key == "schema_version").values(value="0"))
    with pytest.raises(S.SchemaVersionError, match="schema version 0"):
        S.open_db(db)
    other = tmp_path / "other.sqlite"
    with sa.create_engine(f"sqlite:///{other}").begin() as conn:
        conn.execute(sa.text("CREATE TABLE things (x INTEGER)"))
    with pytest.raises(S.FactBaseError, match="holds no nkner fact base"):
        S.open_db(other)
    with pytest.raises(S.FactBaseError, match="does not exist"):
        S.open_db(tmp_path / "missing" / "x.sqlite")
    with pytest.raises(S.FactBaseError, match="unsupported database URL"):
        S.db_url("mysql://u@h/db")


def test_db_url(monkeypatch, tmp_path):
    monkeypatch.delenv("NKNER_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert S.db_url(None) == f"sqlite:///{tmp_path / 'nkner.sqlite'}"
    monkeypatch.setenv("NKNER_DB", "postgresql://me@127.0.0.1/facts")
    assert S.db_url(None) == "postgresql+psycopg://me@127.0.0.1/facts"
    assert S.db_url("sqlite:///x.db") == "sqlite:///x.db"


# ---------------------------------------------------------------------------------------- grouping

def test_groups_cover_every_fact_once(base):
    with S.open_db(base).connect() as conn:
        n_facts = conn.execute(sa.select(sa.func.count()).select_from(S.facts)).scalar_one()
        members = conn.execute(sa.select(S.group_members.c.fact_id)).scalars().all()
        assert len(members) == len(set(members)) == n_facts
        sums = conn.execute(sa.select(sa.func.sum(S.event_groups.c.n_facts))).scalar_one()
        assert sums == n_facts
        # a corroborated group joins facts of different reports
        multi = conn.execute(sa.select(S.event_groups).where(S.event_groups.c.n_reports > 1)).all()
        assert multi and all(json.loads(g.figures) is not None for g in multi)
    assert stale_types(base) == []


def test_regroup_limit_leaves_big_types_stale(base, tmp_path):
    db = copy_base(base, tmp_path)
    n = {t: sum(f["event_type"] == t for o in golden() for f in o["facts"]) for t in ("repatriation", "detention")}
    assert n["repatriation"] > 100 > n["detention"]
    done = regroup(db, event_types=["repatriation", "detention"], limit=100)
    assert done.skipped == {"repatriation": n["repatriation"]} and done.done == {"detention": n["detention"]}
    assert stale_types(db) == []   # nothing was stale before: explicit types are not marked
    with S.open_db(db).begin() as conn:
        S.set_meta(conn, "groups_stale", json.dumps(["repatriation"]))
    assert regroup(db, limit=100).skipped == {"repatriation": n["repatriation"]}
    assert stale_types(db) == ["repatriation"]
    assert regroup(db, limit=None).done == {"repatriation": n["repatriation"]}
    assert stale_types(db) == []


# ----------------------------------------------------------------------------------------- queries

def test_names_match_canonical_names_and_aliases(base):
    china = count_facts(base, Filters(actor="China"))
    assert china > 0
    for alias in ("Beijing", "PRC", "the Chinese government", "Chinese authorities"):
        assert count_facts(base, Filters(actor=alias)) == china, alias
    facts = list(query_facts(base, Filters(actor="Beijing", event_type="repatriation")))
    assert facts and all(f["event_type"] == "repatriation" for f in facts)
    assert all("China" in f["agents"] + f["affected"] for f in facts)
    assert all(f["source"] and f["text_sha256"] for f in facts)
    jilin = list(query_facts(base, Filters(place="Jilin province")))
    assert jilin and all("Jilin" in f["places"] for f in jilin)
    refugee = list(query_facts(base, Filters(instrument="Refugee Convention")))
    assert refugee and all("1951 Refugee Convention" in f["instruments"] for f in refugee)
    assert count_facts(base, Filters(actor="nobody at all")) == 0


def test_period_filters_overlap(base):
    got = list(query_facts(base, Filters(since="2024-04", until="2024-04")))
    assert got and all(f["date_start"] <= "2024-04-30" and f["date_end"] >= "2024-04-01" for f in got)
    assert count_facts(base, Filters(since="2024")) < count_facts(base, Filters())
    with pytest.raises(QueryError, match="not a date"):
        count_facts(base, Filters(since="April"))
    with pytest.raises(QueryError, match="after"):
        count_facts(base, Filters(since="2025", until="2024"))
    with pytest.raises(QueryError, match="not an event type"):
        count_facts(base, Filters(event_type="picnic"))


def test_groups_with_their_sources(base):
    groups = list(query_groups(base, Filters(event_type="repatriation")))
    assert groups and groups[0]["n_publishers"] >= groups[-1]["n_publishers"]
    top = groups[0]          # the golden reports hold repatriations told by two reports
    assert top["n_reports"] == len(top["reports"]) > 1
    assert sum(len(r["fact_ids"]) for r in top["reports"]) == top["n_facts"]
    assert {r["source"] for r in top["reports"]} <= {o["source"] for o in golden()}
    assert len({r["source"] for r in top["reports"]}) == top["n_reports"]
    china_facts = {f["fact_id"] for f in query_facts(base, Filters(actor="China"))}
    china = list(query_groups(base, Filters(actor="PRC")))
    assert china and all(china_facts & {fid for r in g["reports"] for fid in r["fact_ids"]} for g in china)
    assert len(china) < len(list(query_groups(base, Filters())))


def test_output_formats(base):
    out = io.StringIO()
    n = write(query_facts(base, Filters(event_type="detention"), limit=5), "facts", "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert n == 5 == len(rows) and rows[0]["event_type"] == "detention" and rows[0]["source"]
    out = io.StringIO()
    write(query_groups(base, Filters(), limit=3), "groups", "jsonl", out)
    objs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(objs) == 3 and all("reports" in o and "figures" in o for o in objs)
    out = io.StringIO()
    write(query_facts(base, Filters(), limit=2), "facts", "table", out)
    assert "event_type" in out.getvalue()


def test_example_queries_run(base):
    by_month = run_example(base, "repatriations_by_month")
    assert by_month and all(r["month"] and r["facts"] >= r["events"] >= 1 for r in by_month)
    with S.open_db(base).connect() as conn:
        n_conflicts = conn.execute(sa.select(sa.func.count()).select_from(S.event_groups)
                                   .where(S.event_groups.c.conflict)).scalar_one()
    assert len(run_example(base, "figures_in_conflict")) == n_conflicts
    cited = run_example(base, "facts_citing_an_instrument", name_key("Refugee Convention", "LEGAL_INSTRUMENT"))
    assert cited and all(r["instrument"] == "1951 Refugee Convention" for r in cited)
    assert set(EXAMPLE_QUERIES) == {"repatriations_by_month", "figures_in_conflict", "facts_citing_an_instrument"}


def test_datasette_metadata_describes_every_column():
    meta = metadata("nkner")
    tables = meta["databases"]["nkner"]["tables"]
    for table in S.metadata.sorted_tables:
        assert set(tables[table.name]["columns"]) == {c.name for c in table.columns}, table.name
    queries = meta["databases"]["nkner"]["queries"]
    assert "nkner_key(:instrument" in queries["facts_citing_an_instrument"]["sql"]
    assert {"array": "agents"} in tables["facts"]["facets"] and "month" in tables["facts"]["facets"]


# ------------------------------------------------------------------------------------- timeline, CLI

def test_timeline_draws_events_with_a_month(tmp_path, in_repo):
    db = tmp_path / "t.sqlite"
    ingest_jsonl(db, GOLDEN, doc_date="2025-03-12")   # every fact without a time gets the report's month
    from nkner.factbase.timeline import draw
    png = tmp_path / "out" / "timeline.png"
    drawn = draw(db, Filters(), png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 0 < drawn.placed <= drawn.events and drawn.with_figures > 0
    nothing = draw(db, Filters(actor="nobody at all"), tmp_path / "none.png")
    assert nothing.events == 0 and not (tmp_path / "none.png").exists()


def test_cli_ingest_query_and_errors(tmp_path, in_repo):
    runner = CliRunner()
    db = str(tmp_path / "c.sqlite")
    res = runner.invoke(db_app, ["ingest", "--from-jsonl", str(GOLDEN), "--db", db, "--no-progress",
                                 "--publisher", "Golden Times"])
    assert res.exit_code == 0, res.output
    assert "6 reports added" in res.stderr
    res = runner.invoke(db_app, ["query", "--db", db, "--actor", "Beijing", "--format", "jsonl", "--limit", "0"])
    assert res.exit_code == 0
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == count_facts(db, Filters(actor="China")) and rows[0]["publisher"] == "Golden Times"
    res = runner.invoke(db_app, ["query", "--db", db, "--groups", "--limit", "2", "-f", "csv"])
    assert res.exit_code == 0 and "(of " in res.stderr and len(res.stdout.splitlines()) == 3
    res = runner.invoke(db_app, ["query", "--db", db, "--since", "yesterday"])
    assert res.exit_code == 2 and "not a date" in res.stderr
    res = runner.invoke(db_app, ["query", "--db", str(tmp_path / "none.sqlite")])
    assert res.exit_code == 2 and "no such fact base" in res.stderr and not (tmp_path / "none.sqlite").exists()
    res = runner.invoke(db_app, ["ingest", "--db", db])
    assert res.exit_code == 2 and "--from-jsonl" in res.stderr
    res = runner.invoke(db_app, ["ingest", "--from-jsonl", str(tmp_path / "missing.jsonl"), "--db", db])
    assert res.exit_code == 2 and "no such file" in res.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"source": "a.txt", "error": "unreadable"}\n', encoding="utf-8")
    res = runner.invoke(db_app, ["ingest", "--from-jsonl", str(bad), "--db", db, "--no-progress"])
    assert res.exit_code == 1 and "a.txt: the extraction failed: unreadable" in res.stderr
    res = runner.invoke(db_app, ["timeline", "--db", db, "-o", str(tmp_path / "t.png"), "--type", "flight"])
    assert res.exit_code in (0, 1) and ("events drawn" in res.stderr or "no event" in res.stderr)
    res = runner.invoke(db_app, ["group", "--db", db, "--all", "--limit", "0"])
    assert res.exit_code == 0 and "event groups" in res.stderr


def test_read_jsonl_names_bad_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('[1, 2]\n\n{"a": 1}\n', encoding="utf-8")
    assert list(read_jsonl(path)) == [{"source": f"{path}:1", "error": "not a JSON object"}, {"a": 1}]


def test_docs_describe_the_schema_as_it_is():
    text = (REPO / "docs" / "factbase.md").read_text(encoding="utf-8")
    a, b = "<!-- schema:begin -->\n", "<!-- schema:end -->"
    assert text[text.index(a) + len(a):text.index(b)] == S.schema_markdown(), \
        "docs/factbase.md's schema section differs from nkner.factbase.schema: regenerate it with schema_markdown()"

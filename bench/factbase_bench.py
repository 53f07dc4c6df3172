"""The fact base at scale: ingest rate into SQLite and PostgreSQL, query latencies on a base of more
than a million facts with and without the secondary indexes, and the grouping's cost.

    .venv/bin/python bench/factbase_bench.py [--reports 10000] [--out bench/factbase_results.json]

Input: ``--reports`` extraction objects synthesized from the real extraction output in
tests/golden/extract.jsonl (nkner.factbase.synth: the model's entities, facts and statements, each
copy with its own text SHA-256, publisher and report date); 10,000 reports give about 1.24 million
facts.  PostgreSQL is a throwaway local server (nkner.factbase.pgserver, default settings).
Latencies are the median of 5 runs after one warm-up; the index ratio is the same query, in the same
process, after dropping the secondary indexes (SQLite).  Not run in CI; docs/factbase.md has the
figures measured.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from nkner.factbase import schema as S  # noqa: E402
from nkner.factbase.ingest import grouping_records, ingest_jsonl  # noqa: E402
from nkner.factbase.query import EXAMPLE_QUERIES, Filters, count_facts, name_key, query_facts, run_example  # noqa: E402
from nkner.factbase.synth import write_jsonl  # noqa: E402

QUERIES = {
    "facts of a type (first 100)": lambda db: list(query_facts(db, Filters(event_type="detention"), limit=100)),
    "facts by actor alias 'Beijing' (first 100)": lambda db: list(query_facts(db, Filters(actor="Beijing"), limit=100)),
    "facts by place 'Jilin' (first 100)": lambda db: list(query_facts(db, Filters(place="Jilin province"), limit=100)),
    "facts by instrument (first 100)": lambda db: list(query_facts(db, Filters(instrument="Refugee Convention"),
                                                                   limit=100)),
    "facts in a month (first 100)": lambda db: list(query_facts(db, Filters(since="2021-07", until="2021-07"),
                                                                limit=100)),
    "count: repatriations by an actor in a year": lambda db: count_facts(
        db, Filters(event_type="repatriation", actor="China", since="2023", until="2023")),
    "example: repatriations_by_month": lambda db: run_example(db, "repatriations_by_month"),
    "example: facts_citing_an_instrument": lambda db: run_example(
        db, "facts_citing_an_instrument", name_key("Torture Convention", "LEGAL_INSTRUMENT")),
    "example: figures_in_conflict": lambda db: run_example(db, "figures_in_conflict"),
}


def timed(fn, runs: int = 5) -> tuple[float, int]:
    out = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    n = out if isinstance(out, int) else len(out)
    return statistics.median(times), n


def latencies(url) -> dict[str, dict]:
    """Each query's median latency on one open engine (as a researcher's session or a server keeps it)."""
    db = S.open_db(url)
    res = {}
    for name, fn in QUERIES.items():
        sec, n = timed(lambda: fn(db))
        res[name] = {"ms": round(sec * 1000, 2), "rows": n}
        print(f"  {name}: {sec * 1000:.1f} ms ({n} rows)", flush=True)
    db.dispose()
    return res


def secondary_indexes(engine_name: str = "SQLite"):
    return [ix for t in S.metadata.sorted_tables for ix in t.indexes
            if S.ENGINE_ONLY_INDEXES.get(ix.name, engine_name) == engine_name]


def ingest(db, jsonl: Path, label: str) -> dict:
    t0 = time.perf_counter()
    summary = ingest_jsonl(db, jsonl, group=False)
    sec = time.perf_counter() - t0
    row = {"reports": summary.added, "facts": summary.facts, "seconds": round(sec, 1),
           "reports_per_s": round(summary.added / sec, 1), "facts_per_s": round(summary.facts / sec)}
    print(f"{label}: {row}", flush=True)
    return row


def grouping_cost(db, sizes=(250, 500, 1000, 2000, 4000)) -> dict:
    from nkner.factbase.grouping import group_facts

    with S.open_db(db).connect() as conn:
        records = grouping_records(conn, "abuse")
    for r in records:
        r.pop("month", None)
    out = {}
    for n in sizes:
        t0 = time.perf_counter()
        groups = group_facts(records[:n])
        sec = time.perf_counter() - t0
        out[str(n)] = {"seconds": round(sec, 2), "groups": len(groups)}
        print(f"  group_facts on {n} abuse facts: {sec:.2f} s, {len(groups)} groups", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "factbase_results.json")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (no grouping figures either)")
    args = ap.parse_args()
    objects = [json.loads(line) for line in (REPO / "tests/golden/extract.jsonl").read_text("utf-8").splitlines()]
    results = {"machine": f"{platform.processor() or platform.machine()}, python {platform.python_version()}, "
                          f"sqlite {__import__('sqlite3').sqlite_version}", "reports": args.reports}
    with tempfile.TemporaryDirectory(prefix="nkner-fb-bench-") as tmp:
        tmp = Path(tmp)
        jsonl = write_jsonl(objects, args.reports, tmp / "reports.jsonl")
        results["jsonl_mb"] = round(jsonl.stat().st_size / 2**20, 1)

        if not args.no_sqlite:
            lite = tmp / "bench.sqlite"
            results["sqlite_ingest"] = ingest(lite, jsonl, "SQLite ingest")
            results["sqlite_mb"] = round(sum(p.stat().st_size for p in tmp.glob("bench.sqlite*")) / 2**20, 1)
            results["facts_in_base"] = count_facts(lite, Filters())
            print(f"SQLite base: {results['facts_in_base']} facts, {results['sqlite_mb']} MB; latencies:", flush=True)
            results["sqlite_queries"] = latencies(lite)
            engine = S.open_db(lite)
            with engine.begin() as conn:
                for ix in secondary_indexes():
                    ix.drop(conn, checkfirst=True)
            print("SQLite without secondary indexes:", flush=True)
            results["sqlite_queries_no_index"] = latencies(lite)
            with engine.begin() as conn:
                for ix in secondary_indexes():
                    ix.create(conn, checkfirst=True)
            engine.dispose()
            print("grouping:", flush=True)
            results["grouping"] = grouping_cost(lite)

        if not args.no_postgres:
            from nkner.factbase.pgserver import PostgresServer
            with PostgresServer() as pg:
                results["postgres_ingest"] = ingest(pg.url, jsonl, "PostgreSQL ingest")
                with S.open_db(pg.url).begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
                print("PostgreSQL latencies:", flush=True)
                results["postgres_queries"] = latencies(pg.url)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

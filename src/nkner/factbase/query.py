"""Ask the fact base: facts or event groups, filtered, with their sources.

Names (``actor``, ``place``, ``instrument``) match canonical names and their aliases: the name asked
for goes through the alias table (``src/nkner/pipeline/data/aliases.json``) and the names
normalizer's matching key, and is compared with the key stored for each argument at ingest
("Beijing", "PRC" and "the Chinese government" all find the facts whose agent is China; a name
with no alias entry matches arguments with the same surface, ignoring case, dashes and quotes).

``since``/``until`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) keep facts whose dates (their own time
arguments, else their report's date) overlap that period; for groups, the time of their facts,
else their first and last report dates.

:data:`EXAMPLE_QUERIES` are the SQL queries Datasette offers (``nkner db browse``) and the bench
times; they run unchanged on SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nkner.factbase import schema as S
from nkner.factbase.ingest import iso_range
from nkner.pipeline.normalize.names import canonical_name, match_key

#: which argument roles each name filter looks at, and the label whose aliases it knows
NAME_FILTERS = {"actor": (("agent", "affected"), "ACTOR"), "place": (("place",), "LOCATION"),
                "instrument": (("instrument",), "LEGAL_INSTRUMENT")}

#: Example queries (name -> (title, SQL)); ``:key`` parameters take a name's matching key (:func:`name_key`).
EXAMPLE_QUERIES: dict[str, tuple[str, str]] = {
    "repatriations_by_month": (
        "Repatriations by month: facts, reports and distinct events",
        "SELECT f.month, COUNT(*) AS facts, COUNT(DISTINCT f.report_id) AS reports, "
        "COUNT(DISTINCT m.group_id) AS events, MAX(f.figure) AS largest_figure "
        "FROM facts f LEFT JOIN group_members m ON m.fact_id = f.fact_id "
        "WHERE f.event_type = 'repatriation' AND f.month IS NOT NULL GROUP BY f.month ORDER BY f.month"),
    "figures_in_conflict": (
        "Events whose reported figures disagree beyond their qualifiers",
        "SELECT g.group_id, g.event_type, g.month, g.n_reports, g.n_publishers, g.conservative, g.low, g.high, "
        "g.conflict_note, g.figures FROM event_groups g WHERE g.conflict "
        "ORDER BY g.n_reports DESC, g.group_id LIMIT 1000"),
    "facts_citing_an_instrument": (
        "Facts citing a legal instrument (any of its names)",
        "SELECT f.fact_id, f.event_type, f.trigger_text, a.text AS instrument_text, a.name AS instrument, "
        "f.date_start, f.sentence, r.source, r.report_date FROM fact_args a "
        "JOIN facts f ON f.fact_id = a.fact_id JOIN reports r ON r.report_id = f.report_id "
        "WHERE a.name_key = :key AND a.role = 'instrument' ORDER BY f.date_start DESC NULLS LAST, f.fact_id LIMIT 1000"),
}


class QueryError(ValueError):
    """A filter that cannot be used (a malformed date, an unknown event type)."""


def name_key(name: str, label: str) -> str:
    """The matching key of a name as a ``label`` span: its canonical name's key when it is a known
    alias, else its own."""
    return match_key(canonical_name(name, label) or name)


@dataclass
class Filters:
    event_type: str | None = None
    actor: str | None = None
    place: str | None = None
    instrument: str | None = None
    since: str | None = None
    until: str | None = None

    def period(self) -> tuple[str | None, str | None]:
        since = until = None
        if self.since:
            since = iso_range(self.since)[0]
            if since is None:
                raise QueryError(f"--since {self.since!r}: not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        if self.until:
            until = iso_range(self.until)[1]
            if until is None:
                raise QueryError(f"--until {self.until!r}: not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        if since and until and since > until:
            raise QueryError(f"--since {self.since} is after --until {self.until}")
        return since, until

    def names(self) -> list[tuple[tuple[str, ...], str]]:
        """(roles, matching key) of each name filter given."""
        return [(roles, name_key(value, label)) for attr, (roles, label) in NAME_FILTERS.items()
                if (value := getattr(self, attr))]


def _check_type(event_type: str | None) -> None:
    from nkner.schema import EVENT_TYPE_NAMES
    if event_type is not None and event_type not in EVENT_TYPE_NAMES:
        raise QueryError(f"--type {event_type!r}: not an event type ({', '.join(EVENT_TYPE_NAMES)})")


def _args_with(roles: tuple[str, ...], key: str):
    a = S.fact_args
    return sa.select(a.c.fact_id).where(a.c.name_key == key, a.c.role.in_(roles))


def fact_conditions(filters: Filters) -> list:
    _check_type(filters.event_type)
    f = S.facts
    conds = []
    if filters.event_type:
        conds.append(f.c.event_type == filters.event_type)
    for roles, key in filters.names():
        conds.append(f.c.fact_id.in_(_args_with(roles, key)))
    since, until = filters.period()
    if since:
        conds.append(f.c.date_end >= since)
    if until:
        conds.append(f.c.date_start <= until)
    return conds


FACT_COLUMNS = ("fact_id", "event_type", "trigger_text", "date_start", "date_end", "date_from", "month",
                "agents", "affected", "places", "instruments", "times", "figure", "figures", "confidence",
                "sentence", "sentence_start", "sentence_end", "trigger_start", "trigger_end")
REPORT_COLUMNS = ("report_id", "source", "publisher", "report_date", "text_sha256", "model_version")
JSON_COLUMNS = {"agents", "affected", "places", "instruments", "times", "figures"}


def _decode(row: dict) -> dict:
    return {k: (json.loads(v) if k in JSON_COLUMNS and isinstance(v, str) else v) for k, v in row.items()}


def count_facts(db: str | Engine | None, filters: Filters) -> int:
    engine = S.open_db(db, create=False)
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(S.facts)
                            .where(*fact_conditions(filters))).scalar_one()


def query_facts(db: str | Engine | None, filters: Filters = Filters(), limit: int | None = None) -> Iterator[dict]:
    """Facts matching ``filters`` with their report (source, publisher, date, SHA-256, model
    version) and their event group, newest first (undated facts last)."""
    engine = S.open_db(db, create=False)
    f, r, m = S.facts, S.reports, S.group_members
    stmt = (sa.select(*(f.c[c] for c in FACT_COLUMNS), *(r.c[c] for c in REPORT_COLUMNS), m.c.group_id)
            .join(r, r.c.report_id == f.c.report_id).outerjoin(m, m.c.fact_id == f.c.fact_id)
            .where(*fact_conditions(filters)).order_by(f.c.date_start.desc().nulls_last(), f.c.fact_id.desc()))
    if limit:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        for row in conn.execute(stmt).mappings():
            yield _decode(dict(row))


GROUP_COLUMNS = ("group_id", "event_type", "month", "n_facts", "n_reports", "n_publishers", "conservative", "low",
                 "high", "conflict", "conflict_note", "first_report", "last_report", "time_start", "time_end",
                 "places", "agents", "figures", "score")


def group_conditions(filters: Filters) -> list:
    _check_type(filters.event_type)
    g, m = S.event_groups, S.group_members
    conds = []
    if filters.event_type:
        conds.append(g.c.event_type == filters.event_type)
    for roles, key in filters.names():
        conds.append(g.c.group_id.in_(sa.select(m.c.group_id).where(m.c.fact_id.in_(_args_with(roles, key)))))
    since, until = filters.period()
    if since:
        conds.append(sa.func.coalesce(g.c.time_end, g.c.last_report) >= since)
    if until:
        conds.append(sa.func.coalesce(g.c.time_start, g.c.first_report) <= until)
    return conds


def count_groups(db: str | Engine | None, filters: Filters) -> int:
    engine = S.open_db(db, create=False)
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(S.event_groups)
                            .where(*group_conditions(filters))).scalar_one()


def query_groups(db: str | Engine | None, filters: Filters = Filters(), limit: int | None = None,
                 sources: bool = True) -> Iterator[dict]:
    """Event groups matching ``filters``, most corroborated first, each with its figures and (when
    ``sources``) its reports: ``reports`` = [{report_id, source, publisher, report_date, fact_ids}]."""
    engine = S.open_db(db, create=False)
    g = S.event_groups
    stmt = (sa.select(*(g.c[c] for c in GROUP_COLUMNS)).where(*group_conditions(filters))
            .order_by(g.c.n_publishers.desc(), g.c.n_reports.desc(), g.c.month.nulls_last(), g.c.group_id))
    if limit:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        page: list[dict] = []
        for row in conn.execute(stmt).mappings():
            page.append(_decode(dict(row)))
            if len(page) == 500:
                yield from _with_reports(conn, page) if sources else page
                page = []
        yield from _with_reports(conn, page) if sources else page


def _with_reports(conn: sa.Connection, groups: list[dict]) -> list[dict]:
    if not groups:
        return groups
    m, f, r = S.group_members, S.facts, S.reports
    rows = conn.execute(
        sa.select(m.c.group_id, f.c.fact_id, r.c.report_id, r.c.source, r.c.publisher, r.c.report_date)
        .join(f, f.c.fact_id == m.c.fact_id).join(r, r.c.report_id == f.c.report_id)
        .where(m.c.group_id.in_([g["group_id"] for g in groups])).order_by(r.c.report_date, r.c.source, f.c.fact_id))
    reports: dict[str, dict[str, dict]] = {}
    for row in rows:
        per = reports.setdefault(row.group_id, {})
        rep = per.setdefault(row.report_id, {"report_id": row.report_id, "source": row.source,
                                             "publisher": row.publisher, "report_date": row.report_date,
                                             "fact_ids": []})
        rep["fact_ids"].append(row.fact_id)
    for grp in groups:
        grp["reports"] = list(reports.get(grp["group_id"], {}).values())
    return groups


def run_example(db: str | Engine | None, name: str, key: str | None = None) -> list[dict]:
    """Rows of one of :data:`EXAMPLE_QUERIES` (``key``: a name's matching key, see :func:`name_key`)."""
    engine = S.open_db(db, create=False)
    with engine.connect() as conn:
        params = {"key": key} if ":key" in EXAMPLE_QUERIES[name][1] else {}
        return [dict(r) for r in conn.execute(sa.text(EXAMPLE_QUERIES[name][1]), params).mappings()]


# ------------------------------------------------------------------------------------------ output

FORMATS = ("table", "csv", "jsonl")


def _figures_text(figures: list[dict]) -> str:
    return "; ".join(str(fig.get("text") or fig.get("value")) for fig in figures)


def _names(values) -> str:
    return "; ".join(values or [])


def fact_row(fact: dict) -> dict:
    """A fact as one flat row (CSV, table)."""
    return {"fact_id": fact["fact_id"], "event_type": fact["event_type"], "trigger": fact["trigger_text"],
            "date_start": fact["date_start"], "date_end": fact["date_end"], "date_from": fact["date_from"],
            "agents": _names(fact["agents"]), "affected": _names(fact["affected"]),
            "places": _names(fact["places"]), "instruments": _names(fact["instruments"]),
            "figures": _figures_text(fact["figures"]), "confidence": fact["confidence"],
            "group_id": fact["group_id"], "source": fact["source"], "publisher": fact["publisher"],
            "report_date": fact["report_date"], "text_sha256": fact["text_sha256"],
            "model_version": fact["model_version"], "trigger_start": fact["trigger_start"],
            "trigger_end": fact["trigger_end"], "sentence_start": fact["sentence_start"],
            "sentence_end": fact["sentence_end"], "sentence": " ".join((fact["sentence"] or "").split())}


def group_row(group: dict) -> dict:
    """A group as one flat row (CSV, table)."""
    reports = group.get("reports", [])
    return {"group_id": group["group_id"], "event_type": group["event_type"], "month": group["month"],
            "time_start": group["time_start"], "time_end": group["time_end"], "n_facts": group["n_facts"],
            "n_reports": group["n_reports"], "n_publishers": group["n_publishers"],
            "conservative": group["conservative"], "low": group["low"], "high": group["high"],
            "conflict": bool(group["conflict"]), "conflict_note": group["conflict_note"],
            "figures": "; ".join(f"{fig.get('text') or fig.get('value')} ({fig.get('report_id')})"
                                 for fig in group["figures"]),
            "places": _names(group["places"]), "agents": _names(group["agents"]),
            "first_report": group["first_report"], "last_report": group["last_report"],
            "sources": "; ".join(r["source"] for r in reports)}


TABLE_COLUMNS = {
    "facts": ("date_start", "event_type", "trigger", "agents", "affected", "places", "instruments", "figures",
              "source"),
    "groups": ("month", "event_type", "n_reports", "n_publishers", "conservative", "low", "high", "conflict",
               "places", "agents", "sources"),
}


def write(items, kind: str, fmt: str, out) -> int:
    """Write facts or groups (``kind``) as a table, CSV or JSON Lines; returns how many."""
    import csv

    flat = fact_row if kind == "facts" else group_row
    n = 0
    if fmt == "jsonl":
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
            n += 1
    elif fmt == "csv":
        writer = None
        for item in items:
            row = flat(item)
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
                writer.writeheader()
            writer.writerow(row)
            n += 1
    elif fmt == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for col in TABLE_COLUMNS[kind]:
            table.add_column(col, overflow="fold")
        for item in items:
            row = flat(item)
            table.add_row(*("" if row[c] is None else str(row[c]) for c in TABLE_COLUMNS[kind]))
            n += 1
        Console(file=out, width=200 if not getattr(out, "isatty", lambda: False)() else None).print(table)
    else:
        raise QueryError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    return n

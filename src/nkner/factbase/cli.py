"""`nkner db ...`: store extraction results in a fact base, query it, draw it, browse it.

The base (``--db``) is a SQLite file (default ``$NKNER_DB``, else ``nkner.sqlite`` in the working
folder) or a URL (``sqlite:///path``, ``postgresql://user@host/db``).  Exit codes: 0 success; 1 some
inputs could not be stored (each named on stderr; the others are stored); 2 usage error, or the base
or model is unavailable.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Iterator, List, Optional

import typer

from nkner.cli_model import (BATCH_WORDS_OPTION, ENGINE_OPTION, SCHEDULER_OPTION, WORKERS_OPTION, Engine,
                             engine_usage_error)

db_app = typer.Typer(no_args_is_help=True,
                     help="The fact base: store extraction results, query them, draw a timeline, browse them.")

DB_HELP = ("The fact base: a SQLite file, sqlite:///PATH or postgresql://USER@HOST/DB "
           "(default: $NKNER_DB, else nkner.sqlite in the working folder).")


def _fail(msg: str, code: int = 2) -> typer.Exit:
    typer.echo(f"nkner db: {msg}", err=True)
    return typer.Exit(code)


@contextmanager
def _reported() -> Iterator[None]:
    """A database, model or filter problem as its message on stderr and exit 2."""
    from nkner.extract.distributed import EngineError
    from nkner.extract.run import ModelError
    from nkner.factbase.query import QueryError
    from nkner.factbase.schema import FactBaseError
    import sqlalchemy as sa

    try:
        yield
    except (FactBaseError, QueryError, ModelError, EngineError, FileNotFoundError) as exc:
        raise _fail(str(exc))
    except sa.exc.OperationalError as exc:
        raise _fail(f"database error: {str(exc.orig).strip().splitlines()[0]}")


def _check_date(value: Optional[str], option: str) -> None:
    if value is not None:
        from nkner.pipeline.normalize.report_date import DocDateError, parse_doc_date
        try:
            parse_doc_date(value)
        except DocDateError as exc:
            raise _fail(f"{option}: {exc}")


@db_app.command("ingest")
def ingest_cmd(
    inputs: Optional[List[str]] = typer.Argument(None, help="Files or folders to extract from (as for nkner extract)."),
    from_jsonl: Optional[Path] = typer.Option(None, "--from-jsonl", help="Store saved extraction output "
                                              "(nkner extract --format jsonl) instead of extracting."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    doc_date: Optional[str] = typer.Option(None, "--doc-date", help="Date of the reports (YYYY-MM-DD): resolves "
                                           "relative dates and dates facts that have no time of their own "
                                           "(default: the date each report states in its first lines)."),
    publisher: Optional[str] = typer.Option(None, "--publisher", help="Publisher of these reports (default: "
                                            "none; grouping then counts each source as its own publisher)."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Pipeline folder (default: the shipped model)."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Codec of plain-text inputs without a BOM."),
    n_process: int = typer.Option(1, "--n-process", "-n", min=1, help="Processes for spaCy's nlp.pipe."),
    engine: Engine = ENGINE_OPTION,
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = WORKERS_OPTION,
    batch_words: Optional[int] = BATCH_WORDS_OPTION,
    replace: bool = typer.Option(False, "--replace", help="Replace reports already stored with the same text and "
                                 "model version (e.g. to set --publisher or --doc-date)."),
    group: bool = typer.Option(True, "--group/--no-group", help="Recompute the event groups afterwards "
                               "(--no-group for bulk loads; then run nkner db group)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar on stderr."),
) -> None:
    """Extract (or read saved output) and store reports, entities, facts and statements, then regroup."""
    from nkner.factbase import ingest as ing

    if bool(inputs) == bool(from_jsonl):
        raise _fail("give either input files/folders or --from-jsonl FILE")
    problem = engine_usage_error(engine, n_process, scheduler, workers, batch_words)
    if problem:
        raise _fail(problem)
    _check_date(doc_date, "--doc-date")
    with _reported():
        if from_jsonl:
            summary = ing.ingest_jsonl(db, from_jsonl, publisher=publisher, doc_date=doc_date, replace=replace,
                                       group=group, progress=progress)
        else:
            summary = ing.ingest_paths(db, list(inputs), model=str(model) if model else None, doc_date=doc_date,
                                       publisher=publisher, encoding=encoding, n_process=n_process,
                                       replace=replace, group=group, progress=progress, engine=engine.value,
                                       scheduler=scheduler, workers=workers, batch_words=batch_words)
    typer.echo(summary.line(), err=True)
    raise typer.Exit(1 if summary.errors else 0)


@db_app.command("group")
def group_cmd(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    every: bool = typer.Option(False, "--all", help="Regroup every event type, not only those whose facts changed."),
    limit: Optional[int] = typer.Option(None, "--limit", min=0, help="Leave an event type with more facts than "
                                        "this ungrouped (the grouping is quadratic; default 2000); 0: no limit."),
) -> None:
    """Recompute the event groups (after ingest --no-group, or with --all)."""
    from nkner.factbase.ingest import GROUP_LIMIT, regroup
    from nkner.schema import EVENT_TYPE_NAMES

    limit = GROUP_LIMIT if limit is None else limit
    with _reported():
        done = regroup(db, event_types=EVENT_TYPE_NAMES if every else None, limit=limit or None)
    for event_type, n in done.done.items():
        typer.echo(f"{event_type}: {n} facts grouped", err=True)
    for event_type, n in done.skipped.items():
        typer.echo(f"{event_type}: {n} facts, more than --limit {limit}: not regrouped", err=True)
    typer.echo(f"{done.groups} event groups", err=True)
    raise typer.Exit(1 if done.skipped else 0)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"


def _filters(event_type, actor, place, instrument, since, until):
    from nkner.factbase.query import Filters
    return Filters(event_type=event_type, actor=actor, place=place, instrument=instrument, since=since, until=until)


TYPE_OPT = typer.Option(None, "--type", help="Event type (repatriation, flight, detention, abuse, ...).")
ACTOR_OPT = typer.Option(None, "--actor", help="An agent or affected party: a canonical name or any alias.")
PLACE_OPT = typer.Option(None, "--place", help="A place: canonical name or alias.")
INSTRUMENT_OPT = typer.Option(None, "--instrument", help="A legal instrument: canonical name or alias.")
SINCE_OPT = typer.Option(None, "--since", help="Facts dated on or after (YYYY, YYYY-MM or YYYY-MM-DD).")
UNTIL_OPT = typer.Option(None, "--until", help="Facts dated on or before.")


@db_app.command("query")
def query_cmd(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    event_type: Optional[str] = TYPE_OPT, actor: Optional[str] = ACTOR_OPT, place: Optional[str] = PLACE_OPT,
    instrument: Optional[str] = INSTRUMENT_OPT, since: Optional[str] = SINCE_OPT, until: Optional[str] = UNTIL_OPT,
    groups: bool = typer.Option(False, "--groups", help="Event groups (one row per event, with every report) "
                                "instead of facts."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table | csv | jsonl"),
    limit: int = typer.Option(100, "--limit", min=0, help="At most this many rows (0: all)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (default: stdout)."),
) -> None:
    """Facts (or event groups) matching the filters, with their sources."""
    from nkner.factbase import query as q

    filters = _filters(event_type, actor, place, instrument, since, until)
    with _reported():
        total = (q.count_groups if groups else q.count_facts)(db, filters)
        items = (q.query_groups if groups else q.query_facts)(db, filters, limit=limit or None)
        if output:
            from nkner.extract.batch import atomic_output
            with atomic_output(output) as fh:
                n = q.write(items, "groups" if groups else "facts", fmt.value, fh)
        else:
            n = q.write(items, "groups" if groups else "facts", fmt.value, sys.stdout)
    what = "event groups" if groups else "facts"
    more = f" (of {total}; --limit 0 for all)" if n < total else ""
    typer.echo(f"{n} {what}{more}", err=True)


@db_app.command("timeline")
def timeline_cmd(
    output: Path = typer.Option(..., "--output", "-o", help="PNG file to draw."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    event_type: Optional[str] = TYPE_OPT, actor: Optional[str] = ACTOR_OPT, place: Optional[str] = PLACE_OPT,
    instrument: Optional[str] = INSTRUMENT_OPT, since: Optional[str] = SINCE_OPT, until: Optional[str] = UNTIL_OPT,
) -> None:
    """Events per month by type, with their reported figures and corroboration (a PNG)."""
    from nkner.factbase.timeline import draw

    with _reported():
        drawn = draw(db, _filters(event_type, actor, place, instrument, since, until), output)
    typer.echo(drawn.line(), err=True)
    raise typer.Exit(0 if drawn.events else 1)


@db_app.command("browse")
def browse_cmd(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    port: int = typer.Option(8001, "--port", help="Port on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
) -> None:
    """Browse the base in Datasette (SQLite bases): tables with descriptions, facets, canned queries."""
    from nkner.factbase.browse import serve

    with _reported():
        serve(db, host=host, port=port)

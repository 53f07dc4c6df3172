"""The fact base's schema: one SQLAlchemy Core definition for SQLite and PostgreSQL.

Tables (columns described in :data:`DESCRIPTIONS`, which Datasette's metadata also shows):

* ``meta``: ``schema_version`` and when and by which nkner the base was created;
* ``reports``: one row per report (text SHA-256, source, publisher, report date, model);
* ``entities``: every extracted entity with its normalized value;
* ``facts``: one row per fact (event) with its trigger, sentence, dates, figures and argument names;
* ``fact_args``: one row per argument of a fact (role, surface, canonical name, offsets, count);
* ``statements``: ``party_to`` and counts outside any event;
* ``event_groups`` and ``group_members``: facts grouped into events across reports.

Dates are ISO strings (``YYYY-MM-DD``; a month ``YYYY-MM``), lists of names are JSON text, so the same
rows mean the same on both engines.  :func:`open_db` creates the tables in an empty database and
refuses one whose recorded schema version differs (:class:`SchemaVersionError`).
"""
from __future__ import annotations

import os
import weakref
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

SCHEMA_VERSION = "1"
DEFAULT_DB = "nkner.sqlite"

metadata = sa.MetaData()

meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

reports = sa.Table(
    "reports", metadata,
    sa.Column("report_id", sa.String(16), primary_key=True),
    sa.Column("text_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("publisher", sa.Text),
    sa.Column("report_date", sa.String(10)),
    sa.Column("report_date_from", sa.String(16)),
    sa.Column("model_name", sa.String(64)),
    sa.Column("model_version", sa.String(32)),
    sa.Column("model_schema", sa.String(16)),
    sa.Column("model_pipeline", sa.String(64)),
    sa.Column("n_entities", sa.Integer, nullable=False),
    sa.Column("n_facts", sa.Integer, nullable=False),
    sa.Column("n_statements", sa.Integer, nullable=False),
    sa.Column("has_text", sa.Boolean, nullable=False),
    sa.Column("ingested_at", sa.String(32), nullable=False),
)

entities = sa.Table(
    "entities", metadata,
    sa.Column("report_id", sa.String(16), sa.ForeignKey("reports.report_id"), primary_key=True),
    sa.Column("ord", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(24), nullable=False),
    sa.Column("start_char", sa.Integer, nullable=False),
    sa.Column("end_char", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("event_type", sa.String(24)),
    sa.Column("canonical", sa.Text),
    sa.Column("name_key", sa.Text),
    sa.Column("value", sa.Float),
    sa.Column("min_value", sa.Float),
    sa.Column("max_value", sa.Float),
    sa.Column("qualifier", sa.String(24)),
    sa.Column("unit", sa.String(32)),
    sa.Column("iso", sa.String(40)),
    sa.Column("duration", sa.String(40)),
    sa.Column("relative", sa.Boolean),
    sa.Index("ix_entities_label_key", "label", "name_key"),
)

facts = sa.Table(
    "facts", metadata,
    sa.Column("fact_id", sa.String(40), primary_key=True),
    sa.Column("report_id", sa.String(16), sa.ForeignKey("reports.report_id"), nullable=False),
    sa.Column("ord", sa.Integer, nullable=False),
    sa.Column("event_type", sa.String(24), nullable=False),
    sa.Column("trigger_text", sa.Text, nullable=False),
    sa.Column("trigger_start", sa.Integer, nullable=False),
    sa.Column("trigger_end", sa.Integer, nullable=False),
    sa.Column("sentence_start", sa.Integer),
    sa.Column("sentence_end", sa.Integer),
    sa.Column("sentence", sa.Text),
    sa.Column("confidence", sa.Float),
    sa.Column("time_iso", sa.String(40)),
    sa.Column("date_start", sa.String(10)),
    sa.Column("date_end", sa.String(10)),
    sa.Column("date_from", sa.String(8)),
    sa.Column("month", sa.String(7)),
    sa.Column("figure", sa.Float),
    sa.Column("figures", sa.Text, nullable=False),
    sa.Column("agents", sa.Text, nullable=False),
    sa.Column("affected", sa.Text, nullable=False),
    sa.Column("places", sa.Text, nullable=False),
    sa.Column("instruments", sa.Text, nullable=False),
    sa.Column("times", sa.Text, nullable=False),
    sa.Index("ix_facts_report", "report_id"),
    sa.Index("ix_facts_type_month", "event_type", "month"),
    sa.Index("ix_facts_month", "month"),
    sa.Index("ix_facts_dates", "date_start", "date_end"),
)
# Facts are listed newest first, undated last (date_start DESC NULLS LAST).  SQLite reads that order
# from a plain index backwards (NULL sorts lowest); PostgreSQL (NULL sorts highest) needs the index
# written in that order, which SQLite's CREATE INDEX cannot say: one index per engine.
sa.Index("ix_facts_type_date", facts.c.event_type, facts.c.date_start).ddl_if(dialect="sqlite")
sa.Index("ix_facts_type_date_desc", facts.c.event_type,
         facts.c.date_start.desc().nulls_last()).ddl_if(dialect="postgresql")
sa.Index("ix_facts_date_desc", facts.c.date_start.desc().nulls_last()).ddl_if(dialect="postgresql")
#: indexes created on one engine only
ENGINE_ONLY_INDEXES = {"ix_facts_type_date": "SQLite", "ix_facts_type_date_desc": "PostgreSQL",
                       "ix_facts_date_desc": "PostgreSQL"}

fact_args = sa.Table(
    "fact_args", metadata,
    sa.Column("fact_id", sa.String(40), sa.ForeignKey("facts.fact_id"), primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True),
    sa.Column("ord", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(24)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("start_char", sa.Integer, nullable=False),
    sa.Column("end_char", sa.Integer, nullable=False),
    sa.Column("canonical", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("name_key", sa.Text),
    sa.Column("iso", sa.String(40)),
    sa.Column("count_text", sa.Text),
    sa.Column("count_value", sa.Float),
    sa.Column("count_min", sa.Float),
    sa.Column("count_max", sa.Float),
    sa.Column("count_qualifier", sa.String(24)),
    sa.Column("count_start", sa.Integer),
    sa.Column("count_end", sa.Integer),
    sa.Index("ix_fact_args_key_role", "name_key", "role"),
)

statements = sa.Table(
    "statements", metadata,
    sa.Column("report_id", sa.String(16), sa.ForeignKey("reports.report_id"), primary_key=True),
    sa.Column("ord", sa.Integer, primary_key=True),
    sa.Column("relation", sa.String(16), nullable=False),
    sa.Column("from_text", sa.Text, nullable=False),
    sa.Column("from_start", sa.Integer, nullable=False),
    sa.Column("from_end", sa.Integer, nullable=False),
    sa.Column("from_canonical", sa.Text),
    sa.Column("from_value", sa.Float),
    sa.Column("from_qualifier", sa.String(24)),
    sa.Column("to_text", sa.Text, nullable=False),
    sa.Column("to_start", sa.Integer, nullable=False),
    sa.Column("to_end", sa.Integer, nullable=False),
    sa.Column("to_canonical", sa.Text),
    sa.Column("to_name_key", sa.Text),
    sa.Column("sentence_start", sa.Integer),
    sa.Column("sentence_end", sa.Integer),
    sa.Column("sentence", sa.Text),
    sa.Index("ix_statements_to_key", "to_name_key"),
)

event_groups = sa.Table(
    "event_groups", metadata,
    sa.Column("group_id", sa.String(64), primary_key=True),
    sa.Column("event_type", sa.String(24), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("n_facts", sa.Integer, nullable=False),
    sa.Column("n_reports", sa.Integer, nullable=False),
    sa.Column("n_publishers", sa.Integer, nullable=False),
    sa.Column("conservative", sa.Float),
    sa.Column("low", sa.Float),
    sa.Column("high", sa.Float),
    sa.Column("conflict", sa.Boolean, nullable=False),
    sa.Column("conflict_note", sa.Text),
    sa.Column("first_report", sa.String(10)),
    sa.Column("last_report", sa.String(10)),
    sa.Column("time_start", sa.String(10)),
    sa.Column("time_end", sa.String(10)),
    sa.Column("month", sa.String(7)),
    sa.Column("places", sa.Text, nullable=False),
    sa.Column("agents", sa.Text, nullable=False),
    sa.Column("figures", sa.Text, nullable=False),
    sa.Index("ix_event_groups_type_month", "event_type", "month"),
    sa.Index("ix_event_groups_conflict", "conflict"),
)

group_members = sa.Table(
    "group_members", metadata,
    sa.Column("fact_id", sa.String(40), sa.ForeignKey("facts.fact_id"), primary_key=True),
    sa.Column("group_id", sa.String(64), sa.ForeignKey("event_groups.group_id"), nullable=False),
    sa.Index("ix_group_members_group", "group_id"),
)

#: What each table and column means (docs/factbase.md and Datasette's metadata show these).
DESCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "meta": ("Facts about the base itself.", {
        "key": "schema_version, created_at, created_by, groups_stale (JSON list of the event types whose "
               "groups lag behind their facts)", "value": "its value"}),
    "reports": ("One row per report, identified by the SHA-256 of its text.", {
        "report_id": "the first 16 hex digits of text_sha256", "text_sha256": "SHA-256 of the report's text as "
        "read (UTF-8)", "source": "the path or URL the text came from", "publisher": "who published it "
        "(--publisher), or empty", "report_date": "the report's date (YYYY-MM-DD, or a month or year)",
        "report_date_from": "where the date came from: given (--doc-date), input (the extraction object), "
        "front matter, stamp or dateline (the report's first lines)",
        "model_name": "extraction model", "model_version": "its version (a newer one replaces the report's rows)",
        "model_schema": "annotation schema of the model", "model_pipeline": "the trained pipeline's name",
        "n_entities": "entities stored", "n_facts": "facts stored", "n_statements": "statements stored",
        "has_text": "whether the text was available, so that sentences could be stored",
        "ingested_at": "when it was stored (UTC)"}),
    "entities": ("Every entity the model found, with its normalized value.", {
        "report_id": "the report", "ord": "position in the report's entity list", "label": "ACTOR, "
        "LEGAL_INSTRUMENT, NUMBER, EVENT, DATE or LOCATION", "start_char": "code-point offset of its first "
        "character in the report's text", "end_char": "offset after its last character", "text": "the text "
        "(== report[start_char:end_char])", "event_type": "EVENT: its type", "canonical": "ACTOR, "
        "LEGAL_INSTRUMENT, LOCATION: canonical name from the alias table", "name_key": "the matching key of "
        "the canonical name (else the surface)", "value": "NUMBER: its value", "min_value": "NUMBER: lower "
        "bound of a range", "max_value": "NUMBER: upper bound", "qualifier": "NUMBER: about, at_least, at_most, "
        "more_than, ...", "unit": "NUMBER: unit", "iso": "DATE: ISO 8601", "duration": "DATE: ISO 8601 "
        "duration", "relative": "DATE: relative and unresolved"}),
    "facts": ("One row per fact: an event the report states, with its arguments.", {
        "fact_id": "report_id:trigger_start-trigger_end (stable for the same text)", "report_id": "the report",
        "ord": "position in the report's fact list", "event_type": "repatriation, flight, detention, abuse, "
        "trafficking, crisis, legal_action, advocacy", "trigger_text": "the words that state the event",
        "trigger_start": "offset of the trigger", "trigger_end": "offset after the trigger",
        "sentence_start": "offset of the sentence", "sentence_end": "offset after the sentence",
        "sentence": "the sentence (empty when the text was not available)", "confidence": "the model's "
        "confidence in the fact", "time_iso": "ISO value of its first dated time argument",
        "date_start": "first day the fact may have happened on (its time argument, else the report date)",
        "date_end": "last such day", "date_from": "time (its own time argument) or report (the report date)",
        "month": "YYYY-MM when the dates lie in one month (else empty)", "figure": "its headline figure: its own "
        "count, else its largest affected count", "figures": "JSON: every count [{value, qualifier, text}]", "agents": "JSON: names of "
        "the agents (canonical, else surface)", "affected": "JSON: names of those affected", "places": "JSON: "
        "place names", "instruments": "JSON: legal instruments", "times": "JSON: ISO values of the time "
        "arguments"}),
    "fact_args": ("One row per argument of a fact.", {
        "fact_id": "the fact", "role": "agent, affected, time, place or instrument", "ord": "position among "
        "the fact's arguments of that role", "label": "the argument's entity label", "text": "its text",
        "start_char": "offset", "end_char": "offset after it", "canonical": "canonical name (alias table)",
        "name": "canonical name, else the surface", "name_key": "matching key of the name (the query's "
        "--actor, --place and --instrument compare keys)", "iso": "time: ISO 8601 value",
        "count_text": "a number counting this argument (e.g. '60' of '60 North Koreans')",
        "count_value": "its value", "count_min": "lower bound", "count_max": "upper bound",
        "count_qualifier": "about, at_least, at_most, ...", "count_start": "offset of the number",
        "count_end": "offset after it"}),
    "statements": ("Relations outside any event: party_to, and counts of something no event states.", {
        "report_id": "the report", "ord": "position in the report's statement list", "relation": "party_to "
        "or quantity", "from_text": "the head (a state, or a number)", "from_start": "offset",
        "from_end": "offset after it", "from_canonical": "canonical name", "from_value": "a number's value",
        "from_qualifier": "a number's qualifier", "to_text": "the tail (an instrument, or what is counted)",
        "to_start": "offset", "to_end": "offset after it", "to_canonical": "canonical name",
        "to_name_key": "matching key of the tail's name", "sentence_start": "offset of the sentence",
        "sentence_end": "offset after it", "sentence": "the sentence"}),
    "event_groups": ("Facts of several reports that describe the same event (nkner.factbase.grouping).", {
        "group_id": "stable id from the sorted member fact ids", "event_type": "the event type",
        "score": "lowest linking score inside the group (1 for a single fact)", "n_facts": "facts in the group",
        "n_reports": "reports that state it (corroboration)", "n_publishers": "distinct publishers (a report "
        "without a publisher counts its source)", "conservative": "the lowest credible figure",
        "low": "lowest figure", "high": "highest figure", "conflict": "figures disagree beyond what their "
        "qualifiers allow", "conflict_note": "how they disagree", "first_report": "date of the first report",
        "last_report": "date of the last report", "time_start": "when the event began (from the facts)",
        "time_end": "when it ended", "month": "the earliest month of its facts", "places": "JSON: places",
        "agents": "JSON: agents", "figures": "JSON: every reported figure with its qualifier, fact and report"}),
    "group_members": ("Which group each fact belongs to (every fact is in exactly one).", {
        "fact_id": "the fact", "group_id": "its group"}),
}


class FactBaseError(Exception):
    """The base cannot be used: bad URL, missing driver, unreachable server, wrong schema."""


class SchemaVersionError(FactBaseError):
    """The database holds a fact base of another schema version."""


def db_url(db: str | os.PathLike | None = None) -> str:
    """A SQLAlchemy URL for ``db``: a path is a SQLite file; ``sqlite:///path`` and
    ``postgresql://user@host/db`` are used as given (PostgreSQL through psycopg 3).  ``None`` means
    ``$NKNER_DB``, else ``nkner.sqlite`` in the working folder."""
    value = str(db) if db is not None else os.environ.get("NKNER_DB") or DEFAULT_DB
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    scheme, rest = value.split("://", 1)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite":
        return value
    raise FactBaseError(f"{value}: unsupported database URL (use a file path, sqlite:///PATH or "
                        "postgresql://USER@HOST/DB)")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(db: str | os.PathLike | None = None) -> Engine:
    """An engine for ``db`` (see :func:`db_url`); a SQLite file's folder must exist."""
    url = db_url(db)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        folder = Path(url[len("sqlite:///"):]).parent
        if not folder.is_dir():
            raise FactBaseError(f"{url}: folder {folder} does not exist")
    try:
        engine = sa.create_engine(url)
    except ModuleNotFoundError as exc:
        raise FactBaseError(f"{url}: the PostgreSQL driver is missing ({exc.name}); install nkner[pg]") from None
    except sa.exc.ArgumentError as exc:
        raise FactBaseError(f"{url}: {exc}") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def describe_url(engine: Engine) -> str:
    """The engine's URL without a password."""
    return engine.url.render_as_string(hide_password=True)


def stored_version(conn: sa.Connection) -> str | None:
    """The base's schema version; None for an empty database; an error for a database that holds
    other tables but no fact base."""
    names = set(sa.inspect(conn).get_table_names())
    if not names:
        return None
    if "meta" not in names:
        raise FactBaseError(f"{describe_url(conn.engine)} is not an empty database and holds no nkner fact base "
                            f"(tables: {', '.join(sorted(names)[:8])})")
    row = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).first()
    if row is None:
        raise FactBaseError(f"{describe_url(conn.engine)}: table meta has no schema_version; not an nkner fact base")
    return row[0]


_checked: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def open_db(db: str | os.PathLike | Engine | None = None, create: bool = True) -> Engine:
    """The engine of a fact base: creates the tables in an empty database (when ``create``), checks
    the recorded schema version of an existing one.  An engine passed in is checked once (keep one to
    run many queries without reconnecting)."""
    if isinstance(db, Engine) and db in _checked:
        return db
    if not create and not isinstance(db, Engine):
        url = db_url(db)
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:" and not Path(url[10:]).exists():
            raise FactBaseError(f"{url[10:]}: no such fact base; run `nkner db ingest` first")
    engine = db if isinstance(db, Engine) else make_engine(db)
    try:
        with engine.begin() as conn:
            version = stored_version(conn)
            if version is None:
                if not create:
                    raise FactBaseError(f"{describe_url(engine)} holds no fact base yet; run `nkner db ingest` first")
                metadata.create_all(conn)
                from nkner import __version__
                conn.execute(meta.insert(), [
                    {"key": "schema_version", "value": SCHEMA_VERSION},
                    {"key": "created_at", "value": now()},
                    {"key": "created_by", "value": f"nkner {__version__}"},
                    {"key": "groups_stale", "value": "[]"},
                ])
            elif version != SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"{describe_url(engine)} holds a fact base of schema version {version}; this nkner reads "
                    f"version {SCHEMA_VERSION}. Use the nkner that wrote it, or ingest again into a new base.")
    except sa.exc.OperationalError as exc:
        raise FactBaseError(f"{describe_url(engine)}: {str(exc.orig).strip().splitlines()[0]}") from None
    if isinstance(db, Engine):
        _checked.add(engine)
    return engine


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def get_meta(conn: sa.Connection, key: str) -> str | None:
    row = conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).first()
    return row[0] if row else None


def set_meta(conn: sa.Connection, key: str, value: str) -> None:
    if conn.execute(sa.update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(meta.insert().values(key=key, value=value))


def schema_markdown() -> str:
    """The tables and columns as Markdown (docs/factbase.md holds this text; a test keeps it in step)."""
    lines = []
    for name, (description, columns) in DESCRIPTIONS.items():
        table = metadata.tables[name]
        keys = ", ".join(c.name for c in table.primary_key.columns)
        lines += [f"#### `{table.name}`", "", f"{description} Key: {keys}.", "", "| column | type | meaning |",
                  "|---|---|---|"]
        for col in table.columns:
            kind = col.type.__class__.__name__.upper() + ("" if col.nullable else ", not null")
            lines.append(f"| `{col.name}` | {kind} | {columns[col.name]} |")
        indexes = [f"`{ix.name}` ({', '.join(str(e).replace(f'{name}.', '') for e in ix.expressions)})"
                   + (f" on {ENGINE_ONLY_INDEXES[ix.name]}" if ix.name in ENGINE_ONLY_INDEXES else "")
                   for ix in table.indexes]
        if indexes:
            lines += ["", "Indexes: " + "; ".join(sorted(indexes)) + "."]
        lines.append("")
    return "\n".join(lines)

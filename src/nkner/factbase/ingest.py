"""Store extraction results in the fact base: reports, entities, facts, arguments, statements.

Three entry points, one path into the database:

* :func:`ingest_results` takes extraction objects exactly as ``nkner extract --format jsonl`` writes
  them (any producer: :func:`nkner.extract`, the batch run, a parallel engine);
* :func:`ingest_jsonl` reads such objects from a saved JSON Lines file;
* :func:`ingest_paths` runs the extraction on files and folders (the inputs of ``nkner extract``).

Idempotency: a report is identified by its text's SHA-256.  The same text with the same model
version is not stored again; a newer model version replaces all the report's rows; an older one is
left out (the newer rows stay).  Reports are written in transactions of whole reports, so a run
killed half-way leaves every stored report complete and the next run carries on.  After storing,
the event groups of the event types that changed are recomputed (:func:`regroup`).

Provenance of each row: the report's source, text SHA-256, report date, model name and version;
entities, facts, arguments and statements keep their character offsets into the text, and facts and
statements their sentence (when the text is at hand: always for files; for JSON Lines when the object
carries ``text`` or its ``source`` file still has the same SHA-256).
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nkner.factbase import schema as S
from nkner.pipeline.normalize.names import ALIAS_LABELS, canonical_name, match_key
from nkner.schema import EVENT_TYPE_NAMES, FACT_ROLES

#: reports per transaction (also flushed at :data:`BATCH_FACTS` facts)
BATCH_REPORTS = 200
BATCH_FACTS = 20_000
#: facts of one event type above which :func:`regroup` leaves that type's groups stale (the pairwise
#: grouping takes time and memory quadratic in the number of facts; ``nkner db group --limit``)
GROUP_LIMIT = 2000


_dumps = json.JSONEncoder(ensure_ascii=False).encode


class ReportError(ValueError):
    """An extraction object that cannot be stored; the message says what is wrong."""


@dataclass
class IngestSummary:
    added: int = 0          # reports stored for the first time
    replaced: int = 0       # reports whose rows a newer model version (or --replace) replaced
    unchanged: int = 0      # same text and model version already stored
    kept_newer: int = 0     # already stored by a newer model version: left as they are
    facts: int = 0          # facts written
    errors: list[tuple[str, str]] = field(default_factory=list)   # (source, message)
    groups: int | None = None   # event groups after recomputing (None: not recomputed)
    group_skipped: dict[str, int] = field(default_factory=dict)   # event types left stale: facts
    seconds: float = 0.0

    @property
    def reports(self) -> int:
        return self.added + self.replaced + self.unchanged + self.kept_newer

    def line(self) -> str:
        parts = [f"{self.added} reports added", f"{self.replaced} replaced", f"{self.unchanged} unchanged"]
        if self.kept_newer:
            parts.append(f"{self.kept_newer} kept (stored by a newer model)")
        parts.append(f"{self.facts} facts written")
        if self.errors:
            parts.append(f"{len(self.errors)} inputs not stored")
        if self.groups is not None:
            parts.append(f"{self.groups} event groups")
        for event_type, n in self.group_skipped.items():
            parts.append(f"{event_type} not regrouped ({n} facts > the grouping limit; nkner db group --limit N)")
        return ", ".join(parts) + f" in {self.seconds:.1f} s"


# ------------------------------------------------------------------------------------------- dates


def iso_range(iso: str | None) -> tuple[str | None, str | None]:
    """First and last day (``YYYY-MM-DD``) of an ISO value of the date normalizer (grouping's
    :func:`~nkner.factbase.grouping.iso_interval`; an open end is None); ``(None, None)`` otherwise."""
    from nkner.factbase.grouping import _OPEN_END, _OPEN_START, iso_interval

    iv = iso_interval(iso) if iso else None
    if iv is None:
        return None, None
    return (None if iv[0] == _OPEN_START else iv[0].isoformat()), (None if iv[1] == _OPEN_END else iv[1].isoformat())


def month_of(start: str | None, end: str | None) -> str | None:
    """``YYYY-MM`` when a date range lies within one calendar month, else None."""
    if start and end and start[:7] == end[:7]:
        return start[:7]
    return None


def fact_dates(time_isos: list[str], report_date: str | None) -> tuple[str | None, str | None, str | None]:
    """(date_start, date_end, date_from) of a fact: the span of its dated time arguments, else its
    report's date, else nothing."""
    ranges = [iso_range(i) for i in time_isos]
    starts = [s for s, _ in ranges if s]
    ends = [e for _, e in ranges if e]
    if starts or ends:
        return (min(starts) if starts else None), (max(ends) if ends else None), "time"
    start, end = iso_range(report_date)
    if start:
        return start, end, "report"
    return None, None, None


# ------------------------------------------------------------------------------------ one report


@dataclass
class PreparedReport:
    """The rows of one report, ready to insert."""
    report: dict
    entities: list[dict]
    facts: list[dict]
    fact_args: list[dict]
    statements: list[dict]

    @property
    def report_id(self) -> str:
        return self.report["report_id"]


def _sentence_index(text: str | None) -> Callable[[int], tuple[int, int] | None]:
    """The sentence (start, end) containing an offset, by the corpus's sentence splitter."""
    spans: list[tuple[int, int]] | None = None

    def find(offset: int) -> tuple[int, int] | None:
        nonlocal spans
        if text is None:
            return None
        if spans is None:
            from nkner.corpus.segment import sentence_spans
            spans = sentence_spans(text)
        for s, e in spans:
            if s <= offset < e:
                return s, e
        return None
    return find


def _name(ref: dict, label: str | None) -> tuple[str | None, str, str]:
    """(canonical, name, name_key) of an argument: the extractor's canonical name, else the alias
    table's for its label, else the surface."""
    return _names_of(ref["text"], label, ref.get("canonical"))


@lru_cache(maxsize=200_000)
def _names_of(text: str, label: str | None, canonical: str | None) -> tuple[str | None, str, str]:
    canonical = canonical or (canonical_name(text, label) if label in ALIAS_LABELS else None)
    name = canonical or text
    return canonical, name, match_key(name)


def _count_columns(count: dict | None) -> dict:
    if not count:
        return {k: None for k in ("count_text", "count_value", "count_min", "count_max", "count_qualifier",
                                  "count_start", "count_end")}
    return {"count_text": count.get("text"), "count_value": count.get("value"), "count_min": count.get("min"),
            "count_max": count.get("max"), "count_qualifier": count.get("qualifier"),
            "count_start": count.get("start"), "count_end": count.get("end")}


def _check_span(obj: dict, text: str | None, what: str) -> None:
    if not isinstance(obj, dict) or not isinstance(obj.get("start"), int) or not isinstance(obj.get("end"), int) \
            or not isinstance(obj.get("text"), str):
        raise ReportError(f"{what}: needs integer start and end and a text, got {str(obj)[:80]}")
    if text is not None and text[obj["start"]:obj["end"]] != obj["text"]:
        raise ReportError(f"{what} {obj['text']!r} at {obj['start']}-{obj['end']} is not the report's text there "
                          f"({text[obj['start']:obj['end']]!r}): the offsets do not index this text")


def prepare_report(obj: dict, text: str | None = None, publisher: str | None = None,
                   report_date: str | None = None, report_date_from: str | None = None) -> PreparedReport:
    """Rows for one extraction object (contract v1).  ``text`` (the report's text, optional) gives
    the sentences and is checked against the offsets; ``report_date`` dates facts without a time of
    their own.  Raises :class:`ReportError` for an object that breaks the contract."""
    if not isinstance(obj, dict):
        raise ReportError(f"not an extraction object (a {type(obj).__name__})")
    if "error" in obj:
        raise ReportError(f"the extraction failed: {obj['error']}")
    sha = obj.get("text_sha256")
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ReportError("text_sha256 missing or not a SHA-256 in hex")
    source = obj.get("source")
    if not isinstance(source, str) or not source:
        raise ReportError("source missing")
    model = obj.get("model")
    if not isinstance(model, dict) or not model.get("version"):
        raise ReportError("model (with its version) missing")
    for key in ("entities", "facts", "statements"):
        if not isinstance(obj.get(key), list):
            raise ReportError(f"{key} missing or not a list")
    if text is not None and hashlib.sha256(text.encode("utf-8")).hexdigest() != sha:
        raise ReportError("the text given does not have the object's text_sha256")

    report_id = sha[:16]
    labels: dict[tuple[int, int], str] = {}
    entity_rows = []
    for i, e in enumerate(obj["entities"]):
        _check_span(e, text, f"entity {i}")
        label = e.get("label")
        labels[(e["start"], e["end"])] = label
        canonical, _, key = _names_of(e["text"], label, e.get("canonical"))
        entity_rows.append({
            "report_id": report_id, "ord": i, "label": label, "start_char": e["start"], "end_char": e["end"],
            "text": e["text"], "event_type": e.get("event_type"), "canonical": canonical,
            "name_key": key if label in ALIAS_LABELS else None,
            "value": e.get("value"), "min_value": e.get("min"), "max_value": e.get("max"),
            "qualifier": e.get("qualifier"), "unit": e.get("unit"), "iso": e.get("iso"),
            "duration": e.get("duration"), "relative": e.get("relative")})

    for i, f in enumerate(obj["facts"]):
        if not isinstance(f, dict) or f.get("event_type") not in EVENT_TYPE_NAMES:
            raise ReportError(f"fact {i}: event_type missing or not one of {', '.join(EVENT_TYPE_NAMES)}")
        _check_span(f.get("trigger"), text, f"fact {i} trigger")
    # fact ids and figures (ACLED values of vague plurals, counts only) as grouping reads them
    from nkner.factbase.grouping import fact_records, headline_figure
    try:
        records = fact_records(obj, report_id=report_id, text=text if text is not None else "")
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"facts: {exc}") from None
    sentence_of = _sentence_index(text)
    fact_rows, arg_rows = [], []
    for i, (f, record) in enumerate(zip(obj["facts"], records)):
        what = f"fact {i}"
        fact_id = record["fact_id"]
        names: dict[str, list[str]] = {role: [] for role in FACT_ROLES}
        times: list[str] = []
        figures = record["figures"]
        for role in FACT_ROLES:
            args = f.get(role, [])
            if not isinstance(args, list):
                raise ReportError(f"{what}: {role} is not a list")
            for k, a in enumerate(args):
                _check_span(a, text, f"{what} {role} {k}")
                label = labels.get((a["start"], a["end"]))
                canonical, name, key = _name(a, label)
                if role == "time":
                    if a.get("iso"):
                        times.append(a["iso"])
                else:
                    names[role].append(name)
                if a.get("count"):
                    _check_span(a["count"], text, f"{what} {role} {k} count")
                arg_rows.append({"fact_id": fact_id, "role": role, "ord": k, "label": label, "text": a["text"],
                                 "start_char": a["start"], "end_char": a["end"], "canonical": canonical,
                                 "name": name if role != "time" else a.get("iso") or a["text"],
                                 "name_key": key if role != "time" else None, "iso": a.get("iso"),
                                 **_count_columns(a.get("count"))})
        sent = f.get("sentence") or {}
        s_start, s_end = sent.get("start"), sent.get("end")
        if not (isinstance(s_start, int) and isinstance(s_end, int)):
            s_start = s_end = None
        start, end, date_from = fact_dates(times, report_date)
        fact_rows.append({
            "fact_id": fact_id, "report_id": report_id, "ord": i, "event_type": f["event_type"],
            "trigger_text": f["trigger"]["text"], "trigger_start": f["trigger"]["start"],
            "trigger_end": f["trigger"]["end"], "sentence_start": s_start, "sentence_end": s_end,
            "sentence": text[s_start:s_end] if text is not None and s_start is not None else None,
            "confidence": f.get("confidence"), "time_iso": times[0] if times else None,
            "date_start": start, "date_end": end, "date_from": date_from, "month": month_of(start, end),
            "figure": headline["value"] if (headline := headline_figure(record)) else None,
            "figures": _dumps(figures),
            "agents": _dumps(names["agent"]),
            "affected": _dumps(names["affected"]),
            "places": _dumps(names["place"]),
            "instruments": _dumps(names["instrument"]),
            "times": _dumps(times)})

    statement_rows = []
    for i, st in enumerate(obj["statements"]):
        if not isinstance(st, dict) or st.get("relation") not in ("party_to", "quantity"):
            raise ReportError(f"statement {i}: relation missing or not party_to/quantity")
        _check_span(st.get("from"), text, f"statement {i} from")
        _check_span(st.get("to"), text, f"statement {i} to")
        fr, to = st["from"], st["to"]
        _, to_name, to_key = _name(to, labels.get((to["start"], to["end"])))
        sent = sentence_of(fr["start"])
        statement_rows.append({
            "report_id": report_id, "ord": i, "relation": st["relation"], "from_text": fr["text"],
            "from_start": fr["start"], "from_end": fr["end"],
            "from_canonical": _name(fr, labels.get((fr["start"], fr["end"])))[0],
            "from_value": fr.get("value", fr.get("min")), "from_qualifier": fr.get("qualifier"),
            "to_text": to["text"], "to_start": to["start"], "to_end": to["end"],
            "to_canonical": to.get("canonical") or (to_name if to_name != to["text"] else None), "to_name_key": to_key,
            "sentence_start": sent[0] if sent else None, "sentence_end": sent[1] if sent else None,
            "sentence": text[sent[0]:sent[1]] if sent else None})

    report = {
        "report_id": report_id, "text_sha256": sha, "source": source, "publisher": publisher,
        "report_date": report_date, "report_date_from": report_date_from if report_date else None,
        "model_name": model.get("name"), "model_version": str(model.get("version")),
        "model_schema": model.get("schema"), "model_pipeline": model.get("pipeline"),
        "n_entities": len(entity_rows), "n_facts": len(fact_rows), "n_statements": len(statement_rows),
        "has_text": text is not None, "ingested_at": S.now()}
    return PreparedReport(report, entity_rows, fact_rows, arg_rows, statement_rows)


# -------------------------------------------------------------------------------- report context


def text_for(obj: dict) -> str | None:
    """The text an extraction object was made from: its ``text`` (HTML and PDF inputs carry it),
    else its ``source`` file when that still has the same SHA-256, else None."""
    if isinstance(obj.get("text"), str):
        return obj["text"]
    source = obj.get("source")
    if not isinstance(source, str) or not source or source.startswith("<"):
        return None
    path = Path(source)
    try:
        if not path.is_file():
            return None
        from nkner.extract.inputs import read_text
        text = read_text(path)
    except Exception:  # noqa: BLE001 - an unreadable source only means: no sentences
        return None
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != obj.get("text_sha256"):
        return None
    return text


def date_for(obj: dict, text: str | None, doc_date: str | None) -> tuple[str | None, str | None]:
    """(report date, where it came from): ``doc_date`` (--doc-date), else the object's own
    ``report_date``, else the date the report states in its first lines, else None."""
    if doc_date:
        return doc_date, "given"
    if isinstance(obj.get("report_date"), str) and obj["report_date"]:
        return obj["report_date"], "input"
    if text:
        from nkner.pipeline.normalize.report_date import report_header
        header = report_header(text)
        if header.date:
            return header.date, header.how
    return None, None


# ------------------------------------------------------------------------------------- the store


def _newer(incoming: str, stored: str) -> bool:
    from packaging.version import InvalidVersion, Version
    try:
        return Version(incoming) > Version(stored)
    except InvalidVersion:
        return incoming != stored


def _delete_reports(conn: sa.Connection, ids: list[str]) -> set[str]:
    """Delete every row of these reports; returns the event types their facts had."""
    fact_ids = sa.select(S.facts.c.fact_id).where(S.facts.c.report_id.in_(ids))
    types = {r[0] for r in conn.execute(sa.select(S.facts.c.event_type).where(S.facts.c.report_id.in_(ids))
                                        .distinct())}
    conn.execute(sa.delete(S.group_members).where(S.group_members.c.fact_id.in_(fact_ids)))
    conn.execute(sa.delete(S.fact_args).where(S.fact_args.c.fact_id.in_(fact_ids)))
    for table in (S.facts, S.entities, S.statements, S.reports):
        conn.execute(sa.delete(table).where(table.c.report_id.in_(ids)))
    return types


def _stale_types(conn: sa.Connection) -> set[str]:
    value = S.get_meta(conn, "groups_stale")
    try:
        got = json.loads(value) if value else []
    except json.JSONDecodeError:
        got = []
    return set(got) if isinstance(got, list) else set()


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert rows (dicts with every column of ``table``) through the driver's executemany, with the
    INSERT compiled once by SQLAlchemy for the connection's dialect (its parameter style)."""
    if not rows:
        return
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=[c.name for c in table.columns])
    if compiled.positional:
        order = compiled.positiontup
        params = [tuple(row[k] for k in order) for row in rows]
    else:
        params = rows
    conn.exec_driver_sql(str(compiled), params)


def _write_batch(conn: sa.Connection, batch: list[PreparedReport], summary: IngestSummary, replace: bool) -> None:
    """Store a batch of reports in the caller's transaction, following the idempotency rules."""
    latest: dict[str, PreparedReport] = {}
    for rep in batch:   # the same text twice in one batch: the later copy competes with the earlier
        prev = latest.get(rep.report_id)
        if prev is None or _newer(rep.report["model_version"], prev.report["model_version"]) or replace:
            if prev is not None:
                summary.unchanged += 1
            latest[rep.report_id] = rep
        else:
            summary.unchanged += 1
    ids = list(latest)
    stored = {r.report_id: r for r in conn.execute(
        sa.select(S.reports.c.report_id, S.reports.c.text_sha256, S.reports.c.model_version)
        .where(S.reports.c.report_id.in_(ids)))}
    to_write, to_delete = [], []
    for rid, rep in latest.items():
        old = stored.get(rid)
        if old is None:
            to_write.append(rep)
            summary.added += 1
        elif old.text_sha256 != rep.report["text_sha256"]:
            raise S.FactBaseError(f"{rep.report['source']}: report id {rid} is already used by another text "
                                  f"(SHA-256 {old.text_sha256})")
        elif replace or _newer(rep.report["model_version"], old.model_version):
            to_write.append(rep)
            to_delete.append(rid)
            summary.replaced += 1
        elif rep.report["model_version"] == old.model_version:
            summary.unchanged += 1
        else:
            summary.kept_newer += 1
    types = _delete_reports(conn, to_delete) if to_delete else set()
    if not to_write:
        return
    bulk_insert(conn, S.reports, [r.report for r in to_write])
    for table, attr in ((S.entities, "entities"), (S.facts, "facts"), (S.fact_args, "fact_args"),
                        (S.statements, "statements")):
        bulk_insert(conn, table, [row for r in to_write for row in getattr(r, attr)])
    summary.facts += sum(len(r.facts) for r in to_write)
    types |= {f["event_type"] for r in to_write for f in r.facts}
    if types:
        S.set_meta(conn, "groups_stale", json.dumps(sorted(_stale_types(conn) | types)))


def _progress(total: int | None, enabled: bool, err: IO[str]):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    p = Progress(TextColumn("storing"), BarColumn(), MofNCompleteColumn(), TextColumn("reports"),
                 TimeElapsedColumn(), console=Console(file=err), disable=not enabled, transient=False)
    return p, p.add_task("ingest", total=total)


def ingest_items(db: str | Engine | None, items: Iterable[tuple[dict, str | None]], publisher: str | None = None,
                 doc_date: str | None = None, replace: bool = False, group: bool = True,
                 progress: bool = False, total: int | None = None, err: IO[str] | None = None,
                 batch_reports: int = BATCH_REPORTS, group_limit: int | None = GROUP_LIMIT) -> IngestSummary:
    """Store ``(extraction object, its text or None)`` pairs; see the module docstring.  Objects that
    cannot be stored are listed in the summary's ``errors`` (and on ``err``), the rest are stored."""
    t0 = time.perf_counter()
    err = err or sys.stderr
    engine = S.open_db(db)
    summary = IngestSummary()
    batch: list[PreparedReport] = []
    n_facts = 0

    def flush():
        nonlocal batch, n_facts
        if batch:
            with engine.begin() as conn:
                _write_batch(conn, batch, summary, replace)
        batch, n_facts = [], 0

    bar, task = _progress(total, progress, err)
    with bar:
        for obj, text in items:
            name = obj.get("source", "<unnamed>") if isinstance(obj, dict) else "<not an object>"
            try:
                rdate, how = date_for(obj, text, doc_date) if isinstance(obj, dict) else (None, None)
                rep = prepare_report(obj, text, publisher=publisher or (obj.get("publisher") if isinstance(
                    obj, dict) else None), report_date=rdate, report_date_from=how)
            except ReportError as exc:
                summary.errors.append((str(name), str(exc)))
                print(f"nkner db ingest: {name}: {exc}", file=err)
            else:
                batch.append(rep)
                n_facts += len(rep.facts)
                if len(batch) >= batch_reports or n_facts >= BATCH_FACTS:
                    flush()
            bar.advance(task)
        flush()
    if group:
        done = regroup(engine, limit=group_limit)
        summary.groups, summary.group_skipped = done.groups, done.skipped
    summary.seconds = time.perf_counter() - t0
    return summary


def ingest_results(db: str | Engine | None, results: Iterable[dict], publisher: str | None = None,
                   doc_date: str | None = None, replace: bool = False, group: bool = True,
                   progress: bool = False, total: int | None = None, err: IO[str] | None = None,
                   text_of: Callable[[dict], str | None] = text_for,
                   group_limit: int | None = GROUP_LIMIT) -> IngestSummary:
    """Store extraction objects (``nkner extract --format jsonl``'s, one dict per report); the text
    of each, for its sentences and report date, comes from ``text_of`` (default :func:`text_for`)."""
    return ingest_items(db, ((obj, text_of(obj) if isinstance(obj, dict) else None) for obj in results),
                        publisher=publisher, doc_date=doc_date, replace=replace, group=group,
                        progress=progress, total=total, err=err, group_limit=group_limit)


def read_jsonl(path: str | Path) -> Iterator[dict]:
    """The objects of a JSON Lines file; a line that is not a JSON object becomes an error object
    naming the file and line."""
    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield {"source": f"{path}:{n}", "error": f"not JSON ({exc.msg} at column {exc.colno})"}
                continue
            yield obj if isinstance(obj, dict) else {"source": f"{path}:{n}", "error": "not a JSON object"}


def ingest_jsonl(db: str | Engine | None, path: str | Path, **options) -> IngestSummary:
    """Store the extraction objects of a saved JSON Lines file (``nkner extract -o FILE.jsonl``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if options.get("progress"):
        with open(path, "rb") as fh:
            options.setdefault("total", sum(1 for line in fh if line.strip()))
    return ingest_results(db, read_jsonl(path), **options)


def ingest_paths(db: str | Engine | None, paths: list[str], model: str | None = None, doc_date: str | None = None,
                 publisher: str | None = None, encoding: str | None = None, n_process: int = 1,
                 replace: bool = False, group: bool = True, progress: bool = False,
                 err: IO[str] | None = None, group_limit: int | None = GROUP_LIMIT, engine: str = "local",
                 scheduler: str | None = None, workers: int | None = None,
                 batch_words: int | None = None) -> IngestSummary:
    """Extract from files and folders (as ``nkner extract`` does) and store the results.  Inputs that
    cannot be read are listed in the summary's errors; the others are stored.  ``engine``: "local"
    (this process, ``n_process`` for spaCy's nlp.pipe) or "dask" (a local Dask cluster of ``workers``
    processes, or the cluster at ``scheduler``: :func:`nkner.extract.distributed.iter_results`)."""
    from nkner.extract.facts import merge_chunks
    from nkner.extract.inputs import discover, read_text

    if engine not in ("local", "dask"):
        raise ValueError(f"engine must be 'local' or 'dask', not {engine!r}")
    if engine == "local":
        from nkner.extract.run import Chunked, load, process_sources

        nlp = load(model)
    S.open_db(db)  # a bad base fails before the extraction starts
    sources, missing = discover(paths, encoding=encoding)

    def with_text(obj: dict, source) -> tuple[dict, str | None]:
        if "error" in obj:
            return obj, None
        return obj, obj.get("text") or read_text(source.path, source.encoding)

    def items() -> Iterator[tuple[dict, str | None]]:
        for name, msg in missing:
            yield {"source": name, "error": msg}, None
        if engine == "dask":
            from nkner.extract.distributed import DEFAULT_BATCH_WORDS, iter_results

            results = iter_results(sources, model, scheduler=scheduler, workers=workers, doc_date=doc_date,
                                   encoding=encoding, batch_words=batch_words or DEFAULT_BATCH_WORDS)
            for source, obj in zip(sources, results):  # one result per source, in input order
                yield with_text(obj, source)
            return
        for item in process_sources(sources, nlp, n_process=n_process, doc_date=doc_date):
            if isinstance(item, Chunked):
                yield with_text(merge_chunks(item.header, item.chunks), item.source)
            else:
                yield item, None

    try:
        return ingest_items(db, items(), publisher=publisher, doc_date=doc_date, replace=replace, group=group,
                            progress=progress, total=len(sources) + len(missing), err=err,
                            group_limit=group_limit)
    finally:
        for s in sources:
            s.cleanup()


# ------------------------------------------------------------------------------------- grouping


def grouping_records(conn: sa.Connection, event_type: str) -> list[dict]:
    """The facts of one event type as the records :func:`nkner.factbase.grouping.group_facts` takes."""
    f, r = S.facts, S.reports
    rows = conn.execute(
        sa.select(f.c.fact_id, f.c.report_id, r.c.source, r.c.publisher, r.c.report_date, f.c.event_type,
                  f.c.trigger_text, f.c.times, f.c.places, f.c.agents, f.c.affected, f.c.instruments,
                  f.c.figures, f.c.sentence, f.c.confidence, f.c.month)
        .join(r, r.c.report_id == f.c.report_id).where(f.c.event_type == event_type).order_by(f.c.fact_id))
    out = []
    for row in rows:
        out.append({"fact_id": row.fact_id, "report_id": row.report_id, "source": row.source,
                    "publisher": row.publisher, "report_date": row.report_date, "event_type": row.event_type,
                    "trigger": row.trigger_text, "time": json.loads(row.times), "places": json.loads(row.places),
                    "agents": json.loads(row.agents), "affected": json.loads(row.affected),
                    "instruments": json.loads(row.instruments), "figures": json.loads(row.figures),
                    "sentence": row.sentence or "", "confidence": row.confidence,
                    "month": row.month})
    return out


@dataclass
class Regrouped:
    groups: int                                            # groups in the base afterwards
    done: dict[str, int] = field(default_factory=dict)     # event type -> facts grouped
    skipped: dict[str, int] = field(default_factory=dict)  # event type -> facts (over the limit)


def stale_types(db: str | Engine | None) -> list[str]:
    """Event types whose groups lag behind their facts."""
    with S.open_db(db, create=False).connect() as conn:
        return sorted(_stale_types(conn))


def regroup(db: str | Engine | None, event_types: Iterable[str] | None = None, threshold: float | None = None,
            limit: int | None = GROUP_LIMIT) -> Regrouped:
    """Recompute the event groups of ``event_types`` (default: those whose facts changed since the
    last grouping) with ``group_facts`` over all the base's facts of each type, in one transaction.
    A type with more than ``limit`` facts is left stale (``None``: no limit)."""
    from nkner.factbase.grouping import DEFAULT_THRESHOLD, group_facts

    engine = S.open_db(db)
    out = Regrouped(0)
    with engine.begin() as conn:
        todo = _stale_types(conn) if event_types is None else set(event_types)
        counts = dict(conn.execute(sa.select(S.facts.c.event_type, sa.func.count()).group_by(S.facts.c.event_type)
                                   .where(S.facts.c.event_type.in_(sorted(todo)))).all()) if todo else {}
        for event_type in sorted(todo):
            if limit is not None and counts.get(event_type, 0) > limit:
                out.skipped[event_type] = counts[event_type]
                continue
            records = grouping_records(conn, event_type)
            months = {rec["fact_id"]: rec.pop("month") for rec in records}
            groups = group_facts(records, DEFAULT_THRESHOLD if threshold is None else threshold)
            old = sa.select(S.event_groups.c.group_id).where(S.event_groups.c.event_type == event_type)
            conn.execute(sa.delete(S.group_members).where(S.group_members.c.group_id.in_(old)))
            conn.execute(sa.delete(S.event_groups).where(S.event_groups.c.event_type == event_type))
            group_rows, member_rows = [], []
            for g in groups:
                member_months = [months[fid] for fid in g["fact_ids"] if months.get(fid)]
                group_rows.append({
                    "group_id": g["group_id"], "event_type": g["event_type"], "score": g["score"],
                    "n_facts": len(g["fact_ids"]), "n_reports": g["n_reports"], "n_publishers": g["n_publishers"],
                    "conservative": g.get("conservative"), "low": g.get("low"), "high": g.get("high"),
                    "conflict": bool(g.get("conflict")), "conflict_note": g.get("conflict_note"),
                    "first_report": g.get("first_report"), "last_report": g.get("last_report"),
                    "time_start": g.get("time_start"), "time_end": g.get("time_end"),
                    "month": min(member_months) if member_months else None,
                    "places": json.dumps(g.get("places", []), ensure_ascii=False),
                    "agents": json.dumps(g.get("agents", []), ensure_ascii=False),
                    "figures": json.dumps(g.get("figures", []), ensure_ascii=False)})
                member_rows += [{"fact_id": fid, "group_id": g["group_id"]} for fid in g["fact_ids"]]
            bulk_insert(conn, S.event_groups, group_rows)
            bulk_insert(conn, S.group_members, member_rows)
            out.done[event_type] = len(records)
        S.set_meta(conn, "groups_stale", json.dumps(sorted(_stale_types(conn) - set(out.done))))
        out.groups = conn.execute(sa.select(sa.func.count()).select_from(S.event_groups)).scalar_one()
    return out

"""Extraction on a Dask cluster (``nkner extract --engine dask``; Python: :func:`iter_results`).

Dask's distributed scheduler does the distribution: without a scheduler address a local cluster
(``distributed.LocalCluster``: N worker processes of one thread each on this machine), with one the
user's cluster (``dask scheduler`` + ``dask worker ADDRESS --nthreads 1`` on each machine; every worker
needs nkner and the model installed, and the model at the same path or as the installed model
package).

How a run goes:

- this process (the client) reads every input exactly as the plain run does (decoding, HTML and PDF
  text, the text's SHA-256, the same chunks at line breaks); an unreadable input is its error object
  here and never travels;
- documents travel to the workers in batches of about ``batch_words`` words (20,000) (a longer document is a
  batch of its own), each batch one Dask task; at most two batches per worker thread are in flight,
  so memory stays bounded on both sides;
- each worker loads the model once: a worker plugin (:class:`ModelPlugin`) loads it when the worker
  joins (also a worker that replaces a dead one), and tasks find it in the process's cache;
- a worker runs a batch through the plain run's own code (:func:`nkner.extract.run.process_sources`
  over the shipped chunks), so each result is the plain run's object for that input, object for
  object; a document whose extraction raises becomes an error object for that document alone;
- results come back in input order.  A worker that dies mid-batch (killed, out of memory) has its
  batch redone on another worker by Dask; the client receives each batch's result once, so no
  document is written twice.  A batch that kills every worker it lands on (Dask gives up after
  ``distributed.scheduler.allowed-failures`` deaths) is split and its documents retried one at a
  time: the one that still kills its worker becomes an error object, the others are extracted.

Dask (``dask``, ``distributed``, and ``bokeh`` for the dashboard) is an optional extra:
``pip install 'nkner[dask]'``; ``make setup`` installs it.  Without it, :func:`require_dask` raises
:class:`EngineError` with that advice.  The file outputs of ``nkner extract --engine dask`` (with
their manifest, for resuming an interrupted run) are in :mod:`nkner.extract.resume`.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import itertools
import os
import secrets
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from nkner.extract.formats import Writer
from nkner.extract.inputs import CHUNK_CHARS, InputError, Source, discover
from nkner.extract.run import ModelError, batch_size_for, load, model_path, process_sources

#: words per task: a few seconds of one worker at the measured 5,000-6,000 words per CPU-second
#: (docs/scaling.md), so Dask's per-task cost (milliseconds) does not count and a batch of reports
#: fills spaCy's batches of 64 texts (5,000 words measured 7-9 % slower per CPU-second)
DEFAULT_BATCH_WORDS = 20_000
#: Dask's nannies set MALLOC_TRIM_THRESHOLD_=65536 in their workers, so that they give memory back to
#: the system; our workers hold a model and bounded batches, and the trimming cost them 16-21 % of
#: their words per CPU-second (docs/scaling.md): a local cluster's workers run with glibc's own threshold
_LOCAL_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
#: batches in flight per worker thread: one running, one waiting, so no worker idles between tasks
IN_FLIGHT_PER_THREAD = 2
_KEY_PREFIX = "nkner-batch"


class EngineError(Exception):
    """The Dask engine cannot run: Dask is not installed, the scheduler cannot be reached, or the
    workers cannot load the model.  The message says which and what to do."""


def require_dask() -> None:
    """Raise :class:`EngineError` with installation advice when Dask is missing."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise EngineError(f"the Dask engine needs the optional dependencies dask and distributed ({exc}): "
                          "pip install 'nkner[dask]' (in a checkout, `make setup` installs them)") from None


# ---------------------------------------------------------------------------------------------
# What travels: one document, read and cut on the client


@dataclass
class Shipped:
    """A document read by the client, as it travels to a worker: the plain run's chunks of its text
    (code-point offset, text), its SHA-256 and length, and for HTML/PDF the extracted text."""
    index: int
    name: str
    kind: str
    digest: str
    length: int
    chunks: list[tuple[int, str]]
    text: str | None = None
    words: int = 0


def read_document(src: Source, index: int) -> Shipped | dict:
    """Read one input as the plain run does: a :class:`Shipped` document, or its error object when it
    cannot be read (the message is the plain run's)."""
    src = dataclasses.replace(src, _text=None)  # a copy: the text it keeps goes with it, not with the input list
    try:
        digest, length, _ = src.sha256()
        text = src.extracted_text() if src.kind != "text" else None
        chunks = list(src.chunks())
    except (InputError, OSError) as exc:
        return {"source": src.name, "error": str(exc)}
    return Shipped(index, src.name, src.kind, digest, length, chunks, text,
                   sum(len(chunk.split()) for _, chunk in chunks))


class _ShippedSource(Source):
    """A :class:`Source` whose text has already been read (on the client), so that a worker runs the
    plain run's :func:`process_sources` on it unchanged."""

    def __init__(self, doc: Shipped):
        super().__init__(doc.name, Path(doc.name))
        self.doc = doc

    @property
    def kind(self) -> str:
        return self.doc.kind

    def extracted_text(self) -> str | None:
        return self.doc.text

    def chunks(self, chunk_chars: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
        return iter(self.doc.chunks)

    def sha256(self) -> tuple[str, int, str]:
        return self.doc.digest, self.doc.length, self.doc.chunks[0][1] if self.doc.chunks else ""

    def cleanup(self) -> None:
        pass


class _Collect(Writer):
    """Collects each report's chunks into its complete object (the writers' own merge)."""

    def __init__(self):
        super().__init__(None)
        self.objects: list[dict] = []

    def report(self, obj: dict) -> None:
        self.objects.append(obj)


# ---------------------------------------------------------------------------------------------
# On a worker


_MODEL_LOCK = threading.Lock()

try:
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:  # Dask is an optional extra: require_dask() says so before any of this is used
    _WorkerPlugin = object


class ModelPlugin(_WorkerPlugin):
    """Loads the pipeline once when a worker joins (in a thread, so that the worker keeps answering
    the scheduler meanwhile); tasks then find it in :func:`nkner.extract.run.load`'s cache."""
    name = "nkner-model"
    idempotent = False

    def __init__(self, model: str | None):
        self.model = model

    async def setup(self, worker):
        await asyncio.to_thread(load, self.model)


def extract_batch(docs: list[Shipped], nlp, doc_date: str | None = None,
                  batch_size: int | None = None) -> list[tuple[int, dict, list[str]]]:
    """``(index, result object, warnings)`` for each document of a batch, in order, through the plain
    run's :func:`process_sources`.  When the batch raises, each document is redone alone, and one
    that still raises is an error object naming the exception; the others are extracted."""
    def run(group: list[Shipped]) -> list[tuple[int, dict, list[str]]]:
        out = []
        items = process_sources([_ShippedSource(d) for d in group], nlp, doc_date=doc_date, batch_size=batch_size)
        for doc, item in zip(group, items):
            if isinstance(item, dict):
                out.append((doc.index, item, []))
                continue
            collect = _Collect()
            collect.stream(item.header, item.chunks)
            out.append((doc.index, collect.objects[0], item.warnings))
        return out

    try:
        return run(docs)
    except Exception as exc:  # noqa: BLE001 - find the document that fails; the others must go on
        if len(docs) == 1:
            return [_failed(docs[0], f"{type(exc).__name__}: {exc}")]
    out = []
    for doc in docs:
        try:
            out += run([doc])
        except Exception as exc:  # noqa: BLE001
            out.append(_failed(doc, f"{type(exc).__name__}: {exc}"))
    return out


def _failed(doc: Shipped, reason: str) -> tuple[int, dict, list[str]]:
    return doc.index, {"source": doc.name, "error": f"extraction failed on a Dask worker: {reason}"}, []


def process_batch(docs: list[Shipped], model: str | None, doc_date: str | None = None,
                  batch_size: int | None = None) -> list[tuple[int, dict, list[str]]]:
    """The Dask task: :func:`extract_batch` with the worker's pipeline (loaded once per process).  A
    worker with several threads runs one batch at a time (one pipeline per process); give workers
    one thread each (``dask worker --nthreads 1``) and as many processes as cores."""
    nlp = load(model)
    with _MODEL_LOCK:
        return extract_batch(docs, nlp, doc_date=doc_date, batch_size=batch_size)


# ---------------------------------------------------------------------------------------------
# The cluster


@dataclass
class Engine:
    """A connected Dask client (and the local cluster it started, if any) with the model plugin
    registered; :func:`connect` makes one."""
    client: object
    cluster: object | None
    model: str | None
    local: bool
    dashboard: str | None = None
    threads: int = 0

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


@contextmanager
def connect(scheduler: str | None = None, workers: int | None = None, model: str | Path | None = None,
            client=None, timeout: float = 30.0) -> Iterator[Engine]:
    """A Dask :class:`Engine`: ``client`` if given; else the cluster at ``scheduler`` (waiting until it
    has ``workers`` workers, when given); else a local cluster of ``workers`` processes (default: one
    per CPU) with one thread each.  Registers :class:`ModelPlugin`, so every worker, present or
    future, loads the model once.  Raises :class:`EngineError` when the scheduler cannot be reached
    or a worker cannot load the model.  ``model`` is given to the workers as it is here (resolved
    against ``$NKNER_MODEL`` and the default when None, on each worker)."""
    require_dask()
    import logging

    from distributed import Client, LocalCluster

    cluster = None
    own_client = client is None
    # a model path that exists here is given to the workers as an absolute path (a shared file system);
    # otherwise as it is, for each worker to resolve (its model package, or $NKNER_MODEL)
    model_arg = None if model is None else str(Path(model).resolve() if Path(model).exists() else model)
    local = scheduler is None and client is None
    if local:
        # check the model here first: a local worker would fail with the same error, less clearly
        try:
            model_arg = str(model_path(model).resolve())
        except ModelError as exc:
            raise EngineError(str(exc)) from None
        import dask

        with warnings.catch_warnings(), dask.config.set(_LOCAL_WORKER_CONFIG):
            # the dashboard falls back to a free port when 8787 is taken: the address is printed
            warnings.simplefilter("ignore")
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address="127.0.0.1:8787",
                                   silence_logs=logging.ERROR)
        client = Client(cluster)
    elif client is None:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    engine = Engine(client, cluster, model_arg, local)
    try:
        if workers and not local:
            try:
                client.wait_for_workers(workers, timeout=timeout * 10)
            except TimeoutError:
                raise EngineError(f"the Dask cluster at {scheduler} has {len(client.nthreads())} workers, "
                                  f"fewer than --workers {workers}, after {timeout * 10:.0f} s") from None
        try:
            client.register_plugin(ModelPlugin(model_arg))
        except Exception as exc:  # noqa: BLE001 - whatever the worker raised: ModelError, spaCy's OSError, ...
            raise EngineError(f"a Dask worker cannot load the model: {exc}") from None
        engine.threads = sum(client.nthreads().values())
        engine.dashboard = _dashboard(client)
        yield engine
    finally:
        if own_client:
            engine.close()


def _dashboard(client) -> str | None:
    """The dashboard's address, or None when the scheduler runs without one (no bokeh there)."""
    try:
        info = client.scheduler_info()
        if "dashboard" not in info.get("services", {}):
            return None
        return client.dashboard_link
    except Exception:  # noqa: BLE001 - only informative
        return None


# ---------------------------------------------------------------------------------------------
# On the client: batches out, results back in input order


def _batches(sources: list[Source], batch_words: int) -> Iterator[list[tuple[Source, Shipped | dict]]]:
    """Groups of read documents of about ``batch_words`` words; an unreadable input is a group of its
    own (its error object), so it is never shipped."""
    group, words = [], 0
    for k, src in enumerate(sources):
        doc = read_document(src, k)
        if isinstance(doc, dict):
            if group:
                yield group
                group, words = [], 0
            yield [(src, doc)]
            continue
        if group and words + doc.words > batch_words:
            yield group
            group, words = [], 0
        group.append((src, doc))
        words += doc.words
    if group:
        yield group


def iter_items(sources: list[Source], engine: Engine, doc_date: str | None = None,
               batch_words: int = DEFAULT_BATCH_WORDS, batch_size: int | None = None,
               on_done: Callable[[Source, dict, int], None] | None = None) -> Iterator[tuple[Source, dict, list[str]]]:
    """``(source, result object, warnings)`` for each source, in input order, extracted on the
    engine's workers.  ``on_done(source, result, words)`` is called as each result is yielded.
    ``batch_size`` (texts per ``nlp.pipe`` batch) defaults to the plain run's choice for these
    sources."""
    from distributed import KilledWorker

    if batch_size is None:
        batch_size = batch_size_for(max([s.path.stat().st_size for s in sources if s.path.exists()] or [0]))
    client, token = engine.client, secrets.token_hex(4)
    window = max(2, IN_FLIGHT_PER_THREAD * (engine.threads or 1))
    counter = itertools.count()

    def submit(docs: list[Shipped]):
        return client.submit(process_batch, docs, engine.model, doc_date, batch_size,
                             key=f"{_KEY_PREFIX}-{next(counter)}-{token}", pure=False)

    def results(group, future) -> list[tuple[int, dict, list[str]]]:
        try:
            return future.result()
        except KilledWorker as exc:
            docs = [d for _, d in group]
            if len(docs) == 1:
                return [_failed(docs[0], f"the worker died every time it ran this document ({exc})")]
            # each document alone, one after the other: Dask counts a worker's death against every
            # task waiting on that worker too, so documents retried side by side could all be blamed
            return [r for pair in group for r in results([pair], submit([pair[1]]))]

    pending: collections.deque = collections.deque()
    groups = _batches(sources, batch_words)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < window:
                group = next(groups, None)
                if group is None:
                    exhausted = True
                    break
                docs = [d for _, d in group if isinstance(d, Shipped)]
                pending.append((group, submit(docs) if docs else None))
            if not pending:
                return
            group, future = pending.popleft()
            out = {index: (obj, notes) for index, obj, notes in results(group, future)} if future else {}
            for src, doc in group:
                obj, notes = out[doc.index] if isinstance(doc, Shipped) else (doc, [])
                if on_done:
                    on_done(src, obj, doc.words if isinstance(doc, Shipped) else 0)
                yield src, obj, notes
    finally:
        for _, future in pending:
            if future is not None:
                future.cancel()


def iter_results(sources: Iterable[str | Path | Source], model: str | Path | None = None, *,
                 scheduler: str | None = None, workers: int | None = None, client=None,
                 doc_date: str | None = None, encoding: str | None = None,
                 batch_words: int = DEFAULT_BATCH_WORDS,
                 on_warning: Callable[[str, str], None] | None = None) -> Iterator[dict]:
    """Extract from many inputs on a Dask cluster; yields one result dict per input, **in input
    order**, as ``nkner extract -f jsonl`` writes them:

    - a report's contract object (``source``, ``text_sha256``, ``model``, ``entities``, ``facts``,
      ``statements``; ``text`` for an HTML page or PDF), equal to the single-process run's;
    - or an error object ``{"source": ..., "error": ...}`` for an input that cannot be read (a missing
      path included) or whose extraction failed on a worker; the other inputs go on.

    ``sources``: paths of files or folders (searched recursively as by ``nkner extract``; ``-`` is
    standard input) or :class:`~nkner.extract.inputs.Source` objects; a missing path's error object
    comes first, as in ``nkner extract``.  ``model``: the pipeline folder (default: the shipped
    model; ``$NKNER_MODEL`` on each worker).  Where it runs: ``client`` (an existing
    ``distributed.Client``, left open), else the scheduler at ``scheduler`` (waiting for ``workers``
    workers when given), else a local cluster of ``workers`` processes (default one per CPU), closed
    when the iteration ends.  ``batch_words``: words per task.  ``on_warning(source, message)``
    receives the warnings the plain run prints (a text that does not look English); by default they
    are issued as :class:`nkner.extract.run.NotEnglishWarning`.  Raises :class:`EngineError` when Dask
    is missing, the scheduler cannot be reached or a worker cannot load the model.

    The fact base feeds these dicts to its ingestion as they come; nothing is held beyond the
    batches in flight."""
    from nkner.extract.run import NotEnglishWarning

    given = list(sources)
    if all(isinstance(s, Source) for s in given):
        srcs, missing = given, []
    else:
        srcs, missing = discover([str(s) for s in given], encoding=encoding)
    try:
        for name, msg in missing:
            yield {"source": name, "error": msg}
        if not srcs:
            return
        with connect(scheduler, workers, model, client=client) as engine:
            for src, obj, notes in iter_items(srcs, engine, doc_date=doc_date, batch_words=batch_words):
                for note in notes:
                    if on_warning:
                        on_warning(src.name, note)
                    else:
                        warnings.warn(f"{src.name}: {note}", NotEnglishWarning, stacklevel=2)
                yield obj
    finally:
        for s in srcs:
            s.cleanup()


# ---------------------------------------------------------------------------------------------
# `nkner extract --engine dask`: the usual outputs, resumable


def run_files(paths: list[str], fmt: str, output: str | Path | None, model: str | None, progress: bool, err, out,
              doc_date: str | None = None, encoding: str | None = None, min_confidence: float | None = None,
              rows: str = "facts", scheduler: str | None = None, workers: int | None = None,
              batch_words: int | None = None, resume: bool = True) -> int:
    """``nkner extract --engine dask``: the plain run's outputs and exit codes
    (:mod:`nkner.extract.batch`), extracted on a Dask cluster, with a manifest beside a file or
    folder output so that an interrupted run resumes (:mod:`nkner.extract.resume`).  ``fmt`` is
    already resolved and checked.  Exit 130 when interrupted (Ctrl-C), after saying how to resume."""
    from nkner.extract.batch import (EXIT_INPUT_ERRORS, EXIT_OK, EXIT_USAGE, Chunked, UsageError, _emit,
                                     _is_folder, atomic_output, folder_targets, writer)
    from nkner.extract.resume import Manifest, ResumeError

    def fail(msg: str) -> int:
        print(f"nkner extract: {msg}", file=err)
        return EXIT_USAGE

    try:
        require_dask()
    except EngineError as exc:
        return fail(str(exc))
    import logging

    logging.getLogger("tornado.application").addFilter(_quiet_interrupt)
    sources, missing = discover(paths, encoding=encoding)
    to_folder = output is not None and _is_folder(output)
    by_name = {s.name: s for s in sources}
    try:
        try:
            entries = [(name, Path(Path(name).name)) for name, _ in missing] + [(s.name, s.rel) for s in sources]
            targets = dict(zip([n for n, _ in entries], folder_targets(entries, Path(output), fmt))) if to_folder else {}
            manifest = None
            if output is not None:
                settings = {"inputs": list(paths), "format": fmt, "rows": rows, "model": model, "doc_date": doc_date,
                            "encoding": encoding, "min_confidence": min_confidence}
                manifest = Manifest.open(Path(output), to_folder, settings, sources, resume=resume, targets=targets)
        except (UsageError, ResumeError) as exc:
            return fail(str(exc))
        kept = manifest.kept if manifest else {}
        if kept:
            print(f"nkner extract: resuming: {len(kept)} of {len(sources)} inputs already done "
                  f"(manifest {manifest.path})", file=err)
        todo = [s for s in sources if s.name not in kept]
        errors = [{"source": name, "error": msg} for name, msg in missing]
        failures = 0

        def as_item(obj: dict, src: Source | None):
            if "error" in obj:
                return obj
            header = {k: v for k, v in obj.items() if k not in ("entities", "facts", "statements")}
            return Chunked(header, iter([(obj["entities"], obj["facts"], obj["statements"])]),
                           src or Source(obj["source"], Path(obj["source"])))

        with connect(scheduler, workers, model) as engine:
            where = "a local Dask cluster" if engine.local else f"the Dask cluster at {scheduler}"
            print(f"nkner extract: {len(todo) + len(errors)} inputs on {where} ({engine.threads} worker "
                  f"threads); dashboard: {engine.dashboard or 'none (install bokeh where the scheduler runs)'}",
                  file=err)
            bar = _Progress(len(todo) + len(errors), err) if progress else None

            def items():
                for obj in errors:
                    if bar:
                        bar.done(0)
                    yield None, obj, []
                yield from iter_items(todo, engine, doc_date=doc_date, batch_words=batch_words or DEFAULT_BATCH_WORDS,
                                      on_done=(lambda _src, _obj, words: bar.done(words)) if bar else None)

            try:
                if manifest is None:
                    w = writer(fmt, out, rows)
                    w.begin()
                with manifest or _nothing():
                    for src, obj, notes in items():
                        for note in notes:
                            print(f"nkner extract: {obj['source']}: warning: {note}", file=err)
                        if "error" in obj:
                            print(f"nkner extract: {obj['source']}: {obj['error']}", file=err)
                            failures += 1
                        item = as_item(obj, src)
                        if manifest is None:
                            _emit(w, item, fmt, min_confidence)
                        elif to_folder:
                            target = targets[obj["source"]]
                            if target.exists():
                                print(f"nkner extract: replacing {target}", file=err)
                            with atomic_output(target) as fh:
                                tw = writer(fmt, fh, rows)
                                tw.begin()
                                _emit(tw, item, fmt, min_confidence)
                                tw.end()
                            manifest.record(obj, target)
                        else:
                            _emit(writer("jsonl", manifest.spool), item, "jsonl", min_confidence)
                            manifest.record(obj)
                if manifest is None:
                    w.end()
                    out.flush()
                elif to_folder or fmt == "jsonl":
                    manifest.finish()
                else:
                    def render():
                        with atomic_output(Path(output)) as fh:
                            fw = writer(fmt, fh, rows)
                            fw.begin()
                            for obj in manifest.spooled():
                                _emit(fw, as_item(obj, by_name.get(obj["source"])), fmt)
                            fw.end()
                    manifest.finish(render)
            except KeyboardInterrupt:
                if manifest is not None:
                    print(f"nkner extract: interrupted; the results so far are kept ({manifest.path}): run the "
                          "same command again to continue", file=err)
                else:
                    print("nkner extract: interrupted", file=err)
                return 130
            finally:
                if bar:
                    bar.stop()
    except EngineError as exc:
        return fail(str(exc))
    finally:
        for s in sources:
            s.cleanup()
    return EXIT_INPUT_ERRORS if failures else EXIT_OK


@contextmanager
def _nothing():
    yield None


def _quiet_interrupt(record) -> bool:
    """Drop the traceback distributed's event loop logs when Ctrl-C interrupts a wait (a known
    harmless error in its cancel callback): the command says itself that it was interrupted."""
    return "sync.<locals>.cancel" not in record.getMessage()


class _Progress:
    """A progress bar on stderr over documents, with the words extracted and their rate."""

    def __init__(self, total: int, err):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.p = Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), TextColumn("documents,"),
                          TextColumn("{task.fields[words]:,} words ({task.fields[rate]:,.0f}/s)"),
                          TimeElapsedColumn(), console=Console(file=err), transient=False)
        self.task = self.p.add_task("extract", total=total, words=0, rate=0.0)
        self.words = 0
        self.p.start()

    def done(self, words: int) -> None:
        self.words += words
        elapsed = self.p.tasks[0].elapsed or 0.0
        self.p.update(self.task, advance=1, words=self.words, rate=self.words / elapsed if elapsed > 0 else 0.0)

    def stop(self) -> None:
        self.p.stop()

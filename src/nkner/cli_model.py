"""Model commands of the CLI (train, evaluate, extract): :func:`register` adds them to the top-level
app (``nkner.cli`` calls it at import; this module does not import ``nkner.cli``)."""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer


class Backbone(str, Enum):
    scratch = "scratch"
    sm = "sm"
    smlite = "smlite"
    smner = "smner"
    mdner = "mdner"
    trf = "trf"


def train_cmd(
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the pipeline (required: nothing is "
                                "overwritten by default; -o models/nkner_default replaces the shipped model)."),
    backbone: Backbone = typer.Option(Backbone.mdner, "--backbone", "-b", help="scratch | sm | smlite | smner | mdner (the default) | trf (see README)."),
    docs: Optional[List[str]] = typer.Option(None, "--docs", help="Train on these document ids only (default: the gold of the train and dev splits; never test)."),
    seed: int = typer.Option(0, "--seed"),
    max_epochs: Optional[int] = typer.Option(None, "--max-epochs", help="Override the config's epochs."),
) -> None:
    """Train the pipeline (NER, event-trigger verifier, event typer, relations, normalizer) on the gold corpus."""
    import time

    from nkner.training.train import train, training_documents

    try:
        gold = training_documents(docs)
    except ValueError as exc:
        typer.echo(f"nkner train: {exc}", err=True)
        raise typer.Exit(2)
    if not gold:
        typer.echo("nkner train: no annotated documents", err=True)
        raise typer.Exit(2)
    t0 = time.time()
    typer.echo(f"training {backbone.value} on {len(gold)} documents "
               f"({sum(len(d.entities) for d in gold)} entities) ...", err=True)
    import contextlib
    # spaCy's training log (one row per evaluation step: epoch, step, losses) is the progress: on stderr
    with contextlib.redirect_stdout(sys.stderr):
        path = train(gold, output, backbone=backbone.value, seed=seed, max_epochs=max_epochs, quiet=False)
    typer.echo(f"wrote {path} in {time.time() - t0:.0f} s")


def evaluate_cmd(
    backbone: List[Backbone] = typer.Option([Backbone.scratch], "--backbone", "-b", help="Backbones to compare (LODO)."),
    model: Optional[Path] = typer.Option(None, "--model", help="Score this trained pipeline on --gold instead of LODO."),
    gold: Optional[List[Path]] = typer.Option(None, "--gold", help="Gold files (relation JSONL) the model never saw."),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines", help="Rules-only and en_core_web_sm rows."),
    curve: bool = typer.Option(False, "--curve", help="Also the learning curve over 1-4 training documents (slow)."),
    curve_epochs: Optional[int] = typer.Option(None, "--curve-epochs", help="Epochs of the four-document curve point."),
    add: bool = typer.Option(False, "--add", help="Add these backbones' rows to the existing report (its .json "
                             "beside it) instead of replacing it."),
    curve_only: bool = typer.Option(False, "--curve-only", help="Recompute only the learning curve of the existing "
                                    "report (its .json beside it), for the first --backbone."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write the Markdown report here (and its .json "
                                          "beside it); the repository's is docs/evaluation.md. Default: print only."),
    seed: int = typer.Option(0, "--seed"),
    max_epochs: Optional[int] = typer.Option(None, "--max-epochs"),
    split: Optional[str] = typer.Option(None, "--split", help="dev or test: train the backbones on the gold of "
                                        "the other splits (train; train + dev for test) and score on this split, "
                                        "per genre too. Choose on dev; score test only to report."),
    save_models: Optional[Path] = typer.Option(None, "--save-models", help="With --split: keep each trained "
                                               "pipeline in this folder (one subfolder per backbone)."),
) -> None:
    """Held-out split evaluation (--split), leave-one-document-out comparison over the core texts,
    or scoring of a model on unseen gold (--model)."""
    from nkner.training import report as rep

    if split is not None:
        try:
            result = rep.run_split([b.value for b in backbone], split=split, baselines=baselines, curve=curve,
                                   seed=seed, max_epochs=max_epochs, save_dir=save_models,
                                   progress=lambda m: typer.echo(m, err=True))
        except ValueError as exc:
            typer.echo(f"nkner evaluate: {exc}", err=True)
            raise typer.Exit(2)
        text = rep.render_split(result)
        typer.echo(text)
        if report:
            rep.write_report(report, text, result)
            typer.echo(f"report written to {report} (and {report.with_suffix('.json')})", err=True)
        return

    if model is not None:
        if not gold:
            typer.echo("nkner evaluate: --model needs --gold FILE(s) to score on", err=True)
            raise typer.Exit(2)
        try:
            result = rep.score_model_on_gold(model, gold)
        except (ValueError, OSError, KeyError) as exc:  # trained-on gold, unreadable file or model
            typer.echo(f"nkner evaluate: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo(rep.render_single(result))
        if report:
            rep.write_report(report, rep.render_single(result))
            typer.echo(f"report written to {report}", err=True)
        return
    if (add or curve_only) and report is None:
        typer.echo("nkner evaluate: --add and --curve-only change an existing report: give it with --report "
                   "(e.g. --report docs/evaluation.md)", err=True)
        raise typer.Exit(2)
    if curve_only:
        result = rep.rerun_curve(report.with_suffix(".json"), backbone[0].value, curve_epochs, seed=seed,
                                 progress=lambda m: typer.echo(m, err=True))
        rep.write_report(report, rep.render_lodo(result), result)
        typer.echo(f"learning curve rewritten in {report}", err=True)
        return
    result = rep.run_lodo([b.value for b in backbone], baselines=baselines, curve=curve, seed=seed,
                          max_epochs=max_epochs, curve_epochs=curve_epochs,
                          progress=lambda m: typer.echo(m, err=True))
    if add:
        result = rep.add_to_report(report.with_suffix(".json"), result)
    text = rep.render_lodo(result)
    typer.echo(text)
    if report:
        rep.write_report(report, text, result)
        typer.echo(f"report written to {report} (and {report.with_suffix('.json')})", err=True)


class OutFormat(str, Enum):
    jsonl = "jsonl"
    json = "json"
    table = "table"
    csv = "csv"
    html = "html"


class Engine(str, Enum):
    local = "local"
    dask = "dask"


# The engine options, shared by `nkner extract` and `nkner db ingest`
ENGINE_OPTION = typer.Option(Engine.local, "--engine", help="local: this process (--n-process for more); "
                             "dask: a Dask cluster (local, or --scheduler), resumable file outputs.")
SCHEDULER_OPTION = typer.Option(None, "--scheduler", help="--engine dask: address of your Dask "
                                "scheduler (e.g. tcp://10.0.0.5:8786); default: a local cluster.")
WORKERS_OPTION = typer.Option(None, "--workers", min=1, help="--engine dask: worker processes of the "
                              "local cluster (default: one per CPU); with --scheduler, wait for this many workers.")
BATCH_WORDS_OPTION = typer.Option(None, "--batch-words", min=1, help="--engine dask: words per task (default 20000).")


def engine_usage_error(engine: Engine, n_process: int, scheduler: str | None, workers: int | None,
                       batch_words: int | None) -> str | None:
    """What is wrong with this combination of engine options, or None."""
    if engine is Engine.dask and n_process != 1:
        return "--n-process is for the local engine; with --engine dask give --workers"
    if engine is Engine.local:
        given = [name for name, value in (("--scheduler", scheduler), ("--workers", workers),
                                          ("--batch-words", batch_words)) if value is not None]
        if given:
            return f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --engine dask"
    return None


class CsvRows(str, Enum):
    facts = "facts"
    entities = "entities"
    statements = "statements"


def extract_cmd(
    inputs: List[str] = typer.Argument(..., help="Files, folders (recursive .txt/.md/.html/.htm/.pdf) or - for "
                                       "standard input."),
    fmt: Optional[OutFormat] = typer.Option(None, "--format", "-f",
                                            help="jsonl | json | table | csv | html (default: from the output "
                                            "file's extension; else table on a terminal, jsonl otherwise)"),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Output file, or a folder (existing, or a "
                                         "path ending in /) for one file per input."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Pipeline folder (default: the shipped model)."),
    n_process: int = typer.Option(1, "--n-process", "-n", min=1, help="Processes for spaCy's nlp.pipe."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar on stderr (several inputs, "
                                  "or one long input)."),
    doc_date: Optional[str] = typer.Option(None, "--doc-date", help="Date of the reports (YYYY-MM-DD), to resolve "
                                           "relative dates such as 'last year' (default: the report's own "
                                           "dateline or PUBLISHED stamp, if any)."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Codec of plain-text inputs without a "
                                           "byte-order mark (default utf-8; e.g. cp1252, latin-1)."),
    min_confidence: Optional[float] = typer.Option(None, "--min-confidence", min=0.0, max=1.0,
                                                   help="Keep only facts with at least this confidence."),
    rows: CsvRows = typer.Option(CsvRows.facts, "--rows", help="CSV: one row per fact, entity or statement."),
    engine: Engine = ENGINE_OPTION,
    scheduler: Optional[str] = SCHEDULER_OPTION,
    workers: Optional[int] = WORKERS_OPTION,
    batch_words: Optional[int] = BATCH_WORDS_OPTION,
    resume: bool = typer.Option(True, "--resume/--no-resume", help="--engine dask with -o: continue an "
                                "interrupted run from the manifest beside the output (default), or start over."),
) -> None:
    """Extract entities and facts from reports (exit 0 ok, 1 some input unreadable, 2 usage/model error)."""
    from nkner.extract.batch import run

    problem = engine_usage_error(engine, n_process, scheduler, workers, batch_words)
    if problem:
        typer.echo(f"nkner extract: {problem}", err=True)
        raise typer.Exit(2)
    if doc_date is not None:
        from nkner.pipeline.normalize.report_date import DocDateError, parse_doc_date
        try:
            parse_doc_date(doc_date)
        except DocDateError as exc:
            typer.echo(f"nkner extract: --doc-date: {exc}", err=True)
            raise typer.Exit(2)
    code = run(inputs, fmt.value if fmt else None, output, str(model) if model else None, n_process, progress,
               err=sys.stderr, out=sys.stdout, doc_date=doc_date, encoding=encoding, min_confidence=min_confidence,
               rows=rows.value, engine=engine.value, scheduler=scheduler, workers=workers, batch_words=batch_words,
               resume=resume)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``train``, ``evaluate`` and ``extract`` to ``app``."""
    app.command("train")(train_cmd)
    app.command("evaluate")(evaluate_cmd)
    app.command("extract")(extract_cmd)

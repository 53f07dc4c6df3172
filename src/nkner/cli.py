"""The `nkner` command line: parses options and calls plain functions; nothing else lives here.

Exit codes (all commands): 0 success; 1 the command ran but found problems (validation errors,
differences with --check, an input that could not be read); 2 usage error or a required resource
(corpus, model, server) is unavailable.
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="nkner: annotated corpus and fact extractor for reports on North Korean refugees.")
corpus_app = typer.Typer(no_args_is_help=True, help="Build, validate, export and describe the corpus.")
app.add_typer(corpus_app, name="corpus")


def _version(value: bool) -> None:
    if value:
        from nkner import __version__
        typer.echo(f"nkner {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """nkner: annotated corpus and fact extractor for reports on North Korean refugees."""


# ------------------------------------------------------------------------------------------ corpus


@corpus_app.command("clean")
def corpus_clean() -> None:
    """Clean corpus/raw into corpus/clean (with change reports) and rewrite corpus/metadata.json."""
    from nkner.corpus.build import clean_corpus

    for row in clean_corpus():
        typer.echo(f"{row['id']}: {row['cleaning']['edits']} edits {row['cleaning']['by_rule']} "
                   f"-> {row['clean_path']} ({row['words_clean']} words)")


@corpus_app.command("validate")
def corpus_validate(
    show_warnings: bool = typer.Option(True, "--warnings/--no-warnings",
                                       help="List surface strings labelled differently across the corpus."),
) -> None:
    """Validate every annotation file; exit 1 on any error or misaligned span."""
    from nkner.corpus.validate import validate_corpus

    rep = validate_corpus()
    for p in rep.errors:
        typer.echo(f"ERROR {p}")
    for p in rep.misaligned:
        typer.echo(f"MISALIGNED {p}")
    if show_warnings:
        for p in rep.warnings:
            typer.echo(f"warning {p}")
    typer.echo(f"{rep.documents} annotated documents, {rep.entities} entities, {rep.relations} relations: "
               f"{len(rep.errors)} errors, {len(rep.misaligned)} misaligned spans, "
               f"{len(rep.warnings)} consistency warnings")
    raise typer.Exit(0 if rep.ok else 1)


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    conll = "conll"
    spacy = "spacy"
    csv = "csv"
    hf = "hf"


@corpus_app.command("agreement")
def corpus_agreement(
    split: str = typer.Option("test", "--split", help="Documents of this split (train, dev, test)."),
    first: str = typer.Option("A", "--a", help="The first pass (authoring files <doc>.<A>.json)."),
    second: str = typer.Option("B", "--b", help="The second pass."),
    diff: Optional[str] = typer.Option(None, "--diff", metavar="DOC_ID",
                                       help="List what the two passes of this document disagree on."),
) -> None:
    """Agreement of two independent annotation passes per genre (span F1, relation F1, event types)."""
    from nkner.corpus.agreement import agreement_by_genre, pass_differences, render
    from nkner.corpus.store import CorpusError, load

    if diff:
        try:
            lines = pass_differences(diff, first, second)
        except CorpusError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo("\n".join(lines) if lines else f"{diff}: passes {first} and {second} agree")
        typer.echo(f"{len(lines)} differences", err=True)
        raise typer.Exit(0)
    try:
        rows = agreement_by_genre(load(split=split), first, second)
    except CorpusError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    if not rows:
        typer.echo(f"no {split} document has both passes {first} and {second}", err=True)
        raise typer.Exit(1)
    typer.echo(render(rows, first, second), nl=False)


@corpus_app.command("export")
def corpus_export(
    fmt: ExportFormat = typer.Option(..., "--format", "-f", help="jsonl | conll | spacy | csv | hf"),
    output: Path = typer.Option(..., "--output", "-o", help="Output file (jsonl, conll, spacy) or folder (csv, hf)."),
    split: Optional[list[str]] = typer.Option(None, "--split", help="Only this split (train, dev, test); repeatable."),
    genre: Optional[list[str]] = typer.Option(None, "--genre", help="Only this genre; repeatable."),
    core: Optional[bool] = typer.Option(None, "--core/--extension",
                                        help="Only the five core texts, or only the extension."),
) -> None:
    """Export the gold corpus (every fully annotated document, with its split and genre)."""
    from nkner.corpus import export
    from nkner.corpus.store import CorpusError

    try:
        written = export.export(fmt.value, output, split=split or None, genre=genre or None, core=core)
    except CorpusError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    for path in written:
        typer.echo(f"wrote {path}")


@corpus_app.command("stats")
def corpus_stats(
    chart: Optional[Path] = typer.Option(None, "--chart", help="Also draw the bar chart into this PNG file "
                                         "(the README's is docs/label_counts.png)."),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Also write the tables as Markdown."),
) -> None:
    """Counts per document, label, event type and relation (and a bar chart with --chart)."""
    from nkner.corpus import stats

    s = stats.compute()
    typer.echo(stats.render_text(s), nl=False)
    if chart:
        stats.plot(s, chart)
        typer.echo(f"chart written to {chart}")
    if markdown:
        from nkner.atomic import atomic_write_text
        atomic_write_text(markdown, stats.render_markdown(s))
        typer.echo(f"tables written to {markdown}")


# Commands defined in other modules, registered at import so that `app` is complete for anyone who
# imports it (tests, typer's own tools); neither module imports this one.
from nkner import cli_model  # noqa: E402
from nkner.doccano.cli import doccano_app  # noqa: E402
from nkner.factbase.cli import db_app  # noqa: E402

cli_model.register(app)
app.add_typer(doccano_app, name="doccano")
app.add_typer(db_app, name="db")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

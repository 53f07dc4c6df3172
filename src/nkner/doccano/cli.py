"""`nkner doccano ...`: run a doccano server, push documents to it, pull annotations back.

The server and account come from DOCCANO_URL (default http://127.0.0.1:8000), DOCCANO_USERNAME
and DOCCANO_PASSWORD.  Exit codes: 0 success; 1 problems found (malformed records, a failed
import, differences with --check); 2 a resource is unavailable (server, credentials, project,
model).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Iterator, List, Optional

import requests
import typer
from rich.console import Console

from nkner.doccano import DoccanoError, Unavailable

doccano_app = typer.Typer(no_args_is_help=True,
                          help="Annotate in doccano: run a local server, push documents, pull annotations.")
console = Console(stderr=True)


class PreAnnotate(str, Enum):
    gold = "gold"
    model = "model"
    none = "none"


@contextmanager
def _reported() -> Iterator[None]:
    """Turn a failure into its message on stderr and the exit code of its kind."""
    try:
        yield
    except DoccanoError as exc:
        typer.echo(f"nkner: {exc}", err=True)
        raise typer.Exit(exc.exit_code)
    except requests.RequestException as exc:  # the server went away or answered an error mid-way
        typer.echo(f"nkner: doccano request failed: {exc}", err=True)
        raise typer.Exit(Unavailable.exit_code)


@doccano_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (keep 127.0.0.1 unless you need "
                             "other machines to reach it)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    home: Optional[Path] = typer.Option(None, "--home", help="Data folder (database, uploads, logs, secret key); "
                                        "default ~/.local/share/nkner/doccano."),
) -> None:
    """Run doccano (web app + task worker) until Ctrl-C; installs doccano on first use.

    The admin account is DOCCANO_USERNAME / DOCCANO_PASSWORD.  doccano's own environment lives in
    ~/.cache/nkner/doccano-venv (override with NKNER_DOCCANO_ENV).
    """
    from nkner.doccano import server

    username, password = os.environ.get("DOCCANO_USERNAME"), os.environ.get("DOCCANO_PASSWORD")
    with _reported():
        if not username or not password:
            raise Unavailable("set DOCCANO_USERNAME and DOCCANO_PASSWORD to the admin account to create")
        server.serve(home or server.default_home(), username, password, host=host, port=port, console=console)


class Selection(str, Enum):
    uncertain = "uncertain"
    random = "random"


class Unit(str, Enum):
    sentence = "sentence"
    paragraph = "paragraph"


@doccano_app.command("push")
def push(
    project: str = typer.Option(..., "--project", help="doccano project name (created if missing)."),
    docs: Optional[List[str]] = typer.Option(None, "--docs", help="Document id to push (repeat the option, "
                                             "or separate ids with commas); default all."),
    pre_annotate: Optional[PreAnnotate] = typer.Option(None, "--pre-annotate",
                                                       help="Annotations uploaded with new documents: gold (local "
                                                            "annotation files; the default), model (nkner.extract) "
                                                            "or none."),
    select: Optional[Selection] = typer.Option(None, "--select", help="Active learning: instead of corpus "
                                               "documents, push the N excerpts of the --from reports that the "
                                               "model is least sure about (uncertain), or N random ones (random), "
                                               "with the model's pre-annotations."),
    sources: Optional[List[Path]] = typer.Option(None, "--from", help="With --select: a report (UTF-8 text "
                                                 "file) to choose excerpts from; repeat for several."),
    n: Optional[int] = typer.Option(None, "-n", help="With --select: how many excerpts to push."),
    unit: Unit = typer.Option(Unit.sentence, "--unit", help="With --select: excerpts are sentences or "
                              "paragraphs (text between line breaks)."),
    model: Optional[Path] = typer.Option(None, "--model", help="With --select: the trained pipeline that "
                                         "ranks and pre-annotates (default: the shipped model)."),
) -> None:
    """Create or update the project (labels from the schema) and upload documents it lacks.

    With --select, upload the most informative excerpts of new reports instead (see
    docs/annotators.md, "Active learning"); a pull adds them to the corpus as new documents.
    """
    from nkner.doccano.client import connect, credentials_from_env
    from nkner.doccano.push import load_model, push_selected
    from nkner.doccano.push import push as push_documents

    if select is None:
        if sources or n is not None or model is not None:
            raise typer.BadParameter("--from, -n and --model go with --select", param_hint="--select")
        mode = (pre_annotate or PreAnnotate.gold).value
        ids = [i for arg in docs for i in arg.split(",") if i] if docs else None
        with _reported():
            client = connect(creds := credentials_from_env())
            with console.status(f"Pushing to doccano project {project!r} at {creds.url}"):
                result = push_documents(client, project, ids, mode)
        for doc_id in result.uploaded:
            typer.echo(f"uploaded {doc_id} (pre-annotations: {mode})")
        for doc_id in result.unchanged:
            typer.echo(f"already in the project: {doc_id}")
        typer.echo(f"project {project!r} (id {result.project_id}) at {creds.url}: {len(result.uploaded)} uploaded, "
                   f"{len(result.unchanged)} already there")
        return
    if docs or pre_annotate is not None:
        raise typer.BadParameter("--select pushes excerpts of --from reports with model pre-annotations; "
                                 "--docs and --pre-annotate do not apply", param_hint="--select")
    if not sources or n is None:
        raise typer.BadParameter("--select needs --from PATH (one or more reports) and -n N", param_hint="--select")
    with _reported():
        client = connect(creds := credentials_from_env())
        nlp = load_model(model)
        with console.status(f"Ranking excerpts of {len(sources)} report(s) and pushing {n} to {project!r}"):
            result = push_selected(client, project, list(sources), n, select.value, unit.value, nlp=nlp)
    for seg in result.uploaded:
        typer.echo(f"uploaded {seg.doc_id}: {seg.source} [{seg.start}:{seg.end}], {seg.words} words, "
                   f"uncertainty {seg.uncertainty:.3f}/word, {len(seg.entities)} spans and "
                   f"{len(seg.relations)} relations pre-annotated")
    for doc_id in result.skipped:
        typer.echo(f"skipped {doc_id}: already in the corpus or the project")
    typer.echo(f"project {project!r} (id {result.project_id}) at {creds.url}: {len(result.uploaded)} of "
               f"{result.candidates} excerpts uploaded (selection: {select.value})")


@doccano_app.command("pull")
def pull(
    project: str = typer.Option(..., "--project", help="doccano project name."),
    apply: bool = typer.Option(False, "--apply", help="Write the differences (atomically, backing up every "
                               "file replaced); without it nothing is written."),
    check: bool = typer.Option(False, "--check", help="Exit 1 when doccano differs from the local files."),
    gold_user: Optional[str] = typer.Option(None, "--gold-user", help="Whose version becomes gold when several "
                                            "annotators labelled a document; default DOCCANO_USERNAME."),
) -> None:
    """Download the project, validate it, and show per document what differs from local gold."""
    from nkner.doccano import agreement
    from nkner.doccano.client import connect, credentials_from_env
    from nkner.doccano.pull import apply as apply_pull
    from nkner.doccano.pull import pull as pull_project
    from nkner.doccano.pull import render_pull

    with _reported():
        client = connect(creds := credentials_from_env())
        with console.status(f"Exporting doccano project {project!r} from {creds.url}"):
            result = pull_project(client, project, creds.url, gold_user or creds.username)
    for line in render_pull(result, applying=apply):
        typer.echo(line)
    if result.agreement:
        typer.echo(agreement.render(result.agreement))
    if apply:
        written = apply_pull(result)
        for line in written:
            typer.echo(line)
        typer.echo(f"{len(written)} file(s) written")
    elif result.changed:
        typer.echo("nothing written (use --apply to write these changes)")
    raise typer.Exit(1 if check and result.changed else 0)


@doccano_app.command("add-annotator")
def add_annotator(
    project: str = typer.Option(..., "--project", help="doccano project name."),
    username: str = typer.Option(..., "--username", help="Annotator's doccano account (created if missing)."),
    password: Optional[str] = typer.Option(None, "--password", help="Password of a new account (asked when "
                                           "not given); for an existing account, its new password."),
) -> None:
    """Create an annotator account (as the admin), or set its password, and add it to the project."""
    from nkner.doccano.client import connect, credentials_from_env, user_exists
    from nkner.doccano.project import add_annotator as add_member

    with _reported():
        creds = credentials_from_env()
        client = connect(creds)
        if password is None and not user_exists(client, username):
            password = typer.prompt(f"Password for the new user {username!r}", hide_input=True,
                                    confirmation_prompt=True)
        created, password_set = add_member(client, project, creds.url, username, password)
    state = "created" if created else ("existing (password changed)" if password_set else "existing")
    typer.echo(f"{state} user {username!r} is an annotator of project {project!r}")

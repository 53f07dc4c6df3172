"""`nkner db browse`: Datasette over a SQLite fact base, on 127.0.0.1.

Datasette 0.65 (the ``browse`` extra, pinned in requirements.lock: its dependencies do not clash
with the project's, so it runs from the project's own environment) serves the base read-only with
metadata built here: what each table and column means (:data:`nkner.factbase.schema.DESCRIPTIONS`),
where the data comes from, facets on event type, month, agents and places, and the example queries
of :mod:`nkner.factbase.query` as canned queries.  The Datasette plugin
:mod:`nkner.factbase.datasette_plugin` (registered through the ``datasette`` entry point) adds the
SQL function ``nkner_key(name, label)``, so that a canned query matches a name's aliases as the
command line does.  Datasette reads SQLite only: a PostgreSQL base cannot be browsed this way.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from nkner.factbase import schema as S
from nkner.factbase.query import EXAMPLE_QUERIES, NAME_FILTERS

#: what the canned queries' ``:key`` parameter becomes (a name typed by the user, matched by key)
CANNED_KEY = {"facts_citing_an_instrument": "nkner_key(:instrument, '%s')" % NAME_FILTERS["instrument"][1]}

FACETS = {
    "facts": ["event_type", "month", {"array": "agents"}, {"array": "places"}],
    "event_groups": ["event_type", "month", "conflict", {"array": "agents"}, {"array": "places"}],
    "fact_args": ["role", "name"],
    "entities": ["label", "event_type"],
    "reports": ["publisher", "model_version", "report_date_from"],
}


class BrowseError(S.FactBaseError):
    """Datasette cannot serve this base or did not start."""


def sqlite_path(db) -> Path:
    """The SQLite file of ``db`` (a path or sqlite:/// URL); an error for other engines."""
    url = S.db_url(db)
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        raise BrowseError(f"{S.make_engine(db).url.render_as_string(hide_password=True)}: Datasette browses "
                          "SQLite files only; ingest the same results into a SQLite base to browse them")
    path = Path(url[len("sqlite:///"):])
    if not path.is_file():
        raise BrowseError(f"{path}: no such fact base; run `nkner db ingest` first")
    S.open_db(db, create=False)  # checks the schema version
    return path


def metadata(db_name: str) -> dict:
    """Datasette metadata for a fact base whose database name (file stem) is ``db_name``."""
    tables = {}
    for name, (description, columns) in S.DESCRIPTIONS.items():
        tables[name] = {"description": description, "columns": columns}
        if name in FACETS:
            tables[name]["facets"] = FACETS[name]
    tables["facts"]["sort_desc"] = "date_start"
    tables["event_groups"]["sort_desc"] = "n_reports"
    queries = {}
    for name, (title, sql) in EXAMPLE_QUERIES.items():
        queries[name] = {"title": title, "sql": sql.replace(":key", CANNED_KEY[name]) if name in CANNED_KEY else sql}
    return {
        "title": "nkner fact base",
        "description": "Facts extracted by nkner from reports on North Korean refugees and forced repatriation: "
                       "every fact keeps its report (source, text SHA-256, date, model version), its character "
                       "offsets and its sentence; event groups join the facts of several reports that describe "
                       "one event, with their figures, corroboration and conflicts.",
        "source": "nkner extraction output (see each report's source)",
        "license": "MIT (code); the reports keep their publishers' rights",
        "databases": {db_name: {"tables": tables, "queries": queries}},
    }


def command(path: Path, metadata_file: Path, host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", str(path), "--metadata", str(metadata_file),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "10000",
            "--setting", "facet_time_limit_ms", "2000"]


class Browser:
    """A Datasette server over a fact base, started and stopped (a context manager)."""

    def __init__(self, db, host: str = "127.0.0.1", port: int = 8001, log: Path | None = None):
        self.path = sqlite_path(db)
        self.host, self.port = host, port
        self._dir = Path(tempfile.mkdtemp(prefix="nkner-datasette-"))
        self.metadata_file = self._dir / "metadata.json"
        self.metadata_file.write_text(json.dumps(metadata(self.path.stem), indent=1), encoding="utf-8")
        self.log = Path(log) if log else self._dir / "datasette.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> "Browser":
        from nkner.doccano.server import port_is_free

        if not port_is_free(self.host, self.port):
            raise BrowseError(f"port {self.port} on {self.host} is already in use; choose another with --port")
        with open(self.log, "a", encoding="utf-8") as out:
            self.proc = subprocess.Popen(command(self.path, self.metadata_file, self.host, self.port), stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrowseError(f"Datasette exited with code {self.proc.returncode}: "
                                  f"{self.log.read_text(encoding='utf-8', errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/versions.json", timeout=5) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise BrowseError(f"Datasette did not answer at {self.url} in {timeout:.0f} s; log {self.log}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if not self.log.is_relative_to(self._dir):
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(db, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run Datasette in the foreground until Ctrl-C."""
    from rich.console import Console

    console = Console(stderr=True)
    browser = Browser(db, host=host, port=port)

    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    # SIGTERM too, so that Datasette (in its own session) is stopped with us
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with browser:
            console.print(f"Datasette is serving {browser.path} at [bold]{browser.url}[/bold]; Ctrl-C stops it.")
            while browser.proc.poll() is None:
                time.sleep(0.5)
            raise BrowseError(f"Datasette exited with code {browser.proc.returncode}; log {browser.log}")
    except KeyboardInterrupt:
        console.print("Datasette stopped.")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

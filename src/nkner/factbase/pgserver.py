"""A throwaway PostgreSQL server on 127.0.0.1 with a temporary data folder (tests and bench).

It runs Debian's PostgreSQL server binaries (package ``postgresql``; ``make pg-server`` installs them
when missing), found as ``$NKNER_PG_BIN/initdb``, else ``initdb`` on the PATH, else the newest
``/usr/lib/postgresql/*/bin``.  PostgreSQL refuses to run as root: when this process is root, the
server runs as an unprivileged user (``postgres`` if it exists, else ``nobody``) that owns the data
folder.  Authentication is ``trust`` on 127.0.0.1 only, for the user ``nkner``.

>>> with PostgresServer() as pg:
...     pg.url        # 'postgresql://nkner@127.0.0.1:PORT/nkner'
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries, or the server did not start."""


def server_bindir() -> Path:
    """The folder holding ``initdb`` and ``postgres``."""
    if os.environ.get("NKNER_PG_BIN"):
        return Path(os.environ["NKNER_PG_BIN"])
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if dirs:
        return Path(dirs[-1]).parent
    raise PostgresUnavailable("PostgreSQL server binaries not found (initdb): run `make pg-server` (Debian's "
                              "postgresql package) or set NKNER_PG_BIN to the folder that holds initdb")


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) to run the server as when this process is root, else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_uid, pw.pw_gid
    raise PostgresUnavailable("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")


class PostgresServer:
    def __init__(self, port: int | None = None, user: str = "nkner", database: str = "nkner",
                 settings: dict[str, str] | None = None):
        from nkner.doccano.server import free_port

        self.bindir = server_bindir()
        self.port = port or free_port()
        self.user, self.database = user, database
        self.settings = settings or {}
        self.owner = _run_as()
        self.root: Path | None = None
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _popen_args(self) -> dict:
        if self.owner is None:
            return {}
        uid, gid = self.owner
        return {"user": uid, "group": gid, "extra_groups": [], "env": {**os.environ, "HOME": str(self.root)}}

    def start(self, timeout: float = 60.0) -> "PostgresServer":
        self.root = Path(tempfile.mkdtemp(prefix="nkner-pg-"))
        data = self.root / "data"
        if self.owner is not None:
            os.chown(self.root, *self.owner)
        log = self.root / "server.log"
        init = subprocess.run([str(self.bindir / "initdb"), "-D", str(data), "-U", self.user, "--auth=trust",
                               "-E", "UTF8", "--locale=C"], cwd=self.root, capture_output=True, text=True,
                              **self._popen_args())
        if init.returncode != 0:
            self.stop()
            raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-1500:]}")
        options = ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}", "-p", str(self.port)]
        for key, value in self.settings.items():
            options += ["-c", f"{key}={value}"]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen([str(self.bindir / "postgres"), "-D", str(data), *options], cwd=self.root,
                                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, **self._popen_args())
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                text = log.read_text(errors="replace")[-1500:]
                self.stop()
                raise PostgresUnavailable(f"postgres exited with code {self.proc.returncode if self.proc else '?'}: {text}")
            try:
                with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                                     autocommit=True, connect_timeout=2) as conn:
                    conn.execute(f'CREATE DATABASE "{self.database}"')
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise PostgresUnavailable(f"PostgreSQL did not accept connections in {timeout:.0f} s")
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)   # immediate shutdown: the data folder is thrown away
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

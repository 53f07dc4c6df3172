"""Install, start and stop a local doccano server (web app and task worker).

doccano 1.8.4 lives in its own virtual environment, beside the project's ``.venv`` and never
inside it (default ``~/.cache/nkner/doccano-venv``, override with ``NKNER_DOCCANO_ENV``); it is
installed on first use.  Its data (SQLite database, uploads, logs, secret key) live in a home
folder (default ``~/.local/share/nkner/doccano``).

>>> with DoccanoServer(home, port=8123, username="admin", password="...") as server:
...     server.url                       # 'http://127.0.0.1:8123'

The worker is started first and the web app only once the worker is ready: both create the
task queue's table row on first contact with the SQLite broker, and a race between them kills
the worker.
"""
from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from rich.console import Console

from nkner.doccano import Unavailable

DOCCANO_VERSION = "1.8.4"
#: doccano 1.8.4 breaks with marshmallow 4 and numpy 2; its gunicorn (20.1.0) is pinned by doccano.
REQUIREMENTS = (f"doccano=={DOCCANO_VERSION}", "marshmallow<4", "numpy<2")
INSTALLED_MARKER = ".nkner-installed"
INSTALLING_MARKER = ".nkner-installing"
WORKER_READY = re.compile(r"celery@\S+ ready\.")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class ServerError(Unavailable):
    """doccano could not be installed, initialised or started (exit code 2)."""


def default_env_dir() -> Path:
    """Where doccano's own virtual environment lives (``NKNER_DOCCANO_ENV`` overrides)."""
    if os.environ.get("NKNER_DOCCANO_ENV"):
        return Path(os.environ["NKNER_DOCCANO_ENV"]).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "nkner" / "doccano-venv"


def default_home() -> Path:
    """Default data folder of the server (database, uploads, logs, secret key)."""
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "nkner" / "doccano"


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock so that two processes never install into the same environment at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def ensure_installed(env_dir: Path | None = None, console: Console | None = None) -> Path:
    """Install doccano into ``env_dir`` unless it is already there; return the environment path.

    An environment counts as installed only once the marker file written after a successful
    install names the same requirements.  A half-finished or outdated install is removed and
    redone; a folder that nkner did not create is never removed.
    """
    env_dir = Path(env_dir or default_env_dir())
    console = console or Console(stderr=True)
    wanted = " ".join(REQUIREMENTS)
    marker = env_dir / INSTALLED_MARKER
    with _file_lock(env_dir.with_name(env_dir.name + ".lock")):
        if marker.exists() and marker.read_text(encoding="utf-8").strip() == wanted:
            return env_dir
        if env_dir.exists():
            if not (marker.exists() or (env_dir / INSTALLING_MARKER).exists() or not any(env_dir.iterdir())):
                raise ServerError(f"{env_dir} exists but is not a doccano environment made by nkner; remove it "
                                  "or set NKNER_DOCCANO_ENV to another folder")
            shutil.rmtree(env_dir)
        env_dir.mkdir(parents=True)
        (env_dir / INSTALLING_MARKER).touch()
        log = env_dir.with_name(env_dir.name + "-install.log")
        with console.status(f"Installing doccano {DOCCANO_VERSION} into {env_dir} (first use, about a minute)"), \
                open(log, "w", encoding="utf-8") as out:
            steps = ([sys.executable, "-m", "venv", str(env_dir)],
                     [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                      *REQUIREMENTS])
            for cmd in steps:
                if subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                    raise ServerError(f"installing doccano into {env_dir} failed ({' '.join(cmd[:4])} ...); "
                                      f"log {log}:\n{_tail(log)}")
        marker.write_text(wanted + "\n", encoding="utf-8")
        (env_dir / INSTALLING_MARKER).unlink()
        console.print(f"doccano {DOCCANO_VERSION} installed in {env_dir}")
    return env_dir


def secret_key(home: Path) -> str:
    """The server's Django SECRET_KEY: generated on first run, kept in ``home/secret_key`` (0600)."""
    path = Path(home) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(50) + "\n")
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ServerError(f"{path}: secret key file is empty; delete it to generate a new one")
    return key


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class DoccanoServer:
    """A doccano web app (gunicorn) plus its task worker (celery), started and stopped together.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.  ``username`` and
    ``password`` are the admin account, created (or its password reset) on every start.
    """

    def __init__(self, home: Path | str, username: str, password: str, host: str = DEFAULT_HOST,
                 port: int = DEFAULT_PORT, env_dir: Path | None = None, console: Console | None = None,
                 web_workers: int = 2):
        self.home = Path(home).expanduser().resolve()
        self.username = username
        self.password = password
        self.host = host
        self.port = port
        self.env_dir = Path(env_dir or default_env_dir())
        self.console = console or Console(stderr=True)
        self.web_workers = web_workers
        self.log_dir = self.home / "logs"
        self._procs: dict[str, subprocess.Popen] = {}
        self._logs: list[IO] = []

    @property
    def url(self) -> str:
        return f"http://{_host_port(self.host, self.port)}"

    def _bin(self, name: str) -> str:
        return str(self.env_dir / "bin" / name)

    def _backend_dir(self) -> Path:
        found = sorted(self.env_dir.glob("lib/python3*/site-packages/backend"))
        if not found:
            raise ServerError(f"{self.env_dir}: doccano's backend package not found; delete the folder "
                              "to reinstall")
        return found[0]

    def environment(self) -> dict[str, str]:
        """Environment of the doccano processes: settings, database, media folder, secret key."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env.update({
            "PATH": f"{self.env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": f"sqlite:///{self.home / 'db.sqlite3'}",
            "MEDIA_ROOT": str(self.home / "media"),
            "DOCCANO_HOME": str(self.home),
            "STANDALONE": "True",
            "DEBUG": "False",
            "SECRET_KEY": secret_key(self.home),
        })
        return env

    def setup(self) -> None:
        """Install doccano if needed, create the home folder, migrate the database, create the admin."""
        if not self.username or not self.password:
            raise ServerError("the doccano admin account needs DOCCANO_USERNAME and DOCCANO_PASSWORD")
        ensure_installed(self.env_dir, self.console)
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.log_dir.mkdir(exist_ok=True)
        env = self.environment()
        # the password travels in the environment, never on a command line (visible in `ps`)
        env["NKNER_DOCCANO_ADMIN"], env["NKNER_DOCCANO_PASSWORD"] = self.username, self.password
        # --name=value: a password (or name) that starts with "-" is not an option to argparse
        create_user = ("import os, sys; from backend.cli import main; sys.argv = ['doccano', 'createuser', "
                       "'--username=' + os.environ['NKNER_DOCCANO_ADMIN'], "
                       "'--password=' + os.environ['NKNER_DOCCANO_PASSWORD']]; main()")
        log = self.log_dir / "setup.log"
        with self.console.status(f"Preparing the doccano database in {self.home}"), \
                open(log, "a", encoding="utf-8") as out:
            steps = {"init": [self._bin("doccano"), "init"],
                     "createuser": [self._bin("python"), "-c", create_user]}
            for step, cmd in steps.items():
                if subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                    raise ServerError(f"doccano {step} failed; log {log}:\n{_tail(log)}")

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> Path:
        log = self.log_dir / f"{name}.log"
        out = open(log, "a", encoding="utf-8")
        self._logs.append(out)
        out.write(f"\n--- nkner: starting {name} at {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n")
        out.flush()
        self._procs[name] = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
        return log

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                log = self.log_dir / f"{name}.log"
                raise ServerError(f"doccano {name} exited with code {proc.returncode}; log {log}:\n{_tail(log)}")

    def _wait_for_worker(self, log: Path, offset: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._check_alive()
            with open(log, encoding="utf-8", errors="replace") as fh:
                fh.seek(offset)
                if WORKER_READY.search(fh.read()):
                    return
            time.sleep(0.2)
        raise ServerError(f"doccano task worker not ready in time; log {log}:\n{_tail(log)}")

    def _wait_for_health(self, deadline: float) -> None:
        url = f"{self.url}/v1/health/"
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise ServerError(f"doccano at {self.url} did not become healthy in time; logs in {self.log_dir}")

    def start(self, timeout: float = 120.0) -> "DoccanoServer":
        """Set up, then start the task worker and the web app; return once /v1/health/ answers 200."""
        if not port_is_free(self.host, self.port):
            raise ServerError(f"port {self.port} on {self.host} is already in use; choose another with --port")
        self.setup()
        env = self.environment()
        deadline = time.monotonic() + timeout
        try:
            with self.console.status(f"Starting doccano at {self.url}"):
                worker_log = self.log_dir / "worker.log"
                offset = worker_log.stat().st_size if worker_log.exists() else 0
                self._spawn("worker", [self._bin("doccano"), "task", "--concurrency", "1"], env)
                self._wait_for_worker(worker_log, offset, deadline)
                self._spawn("webserver", [self._bin("gunicorn"), "--chdir", str(self._backend_dir()),
                                          "--bind", _host_port(self.host, self.port),
                                          "--workers", str(self.web_workers), "--timeout", "120",
                                          "config.wsgi"], env)
                self._wait_for_health(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the web app, then the worker (SIGTERM to each process group, SIGKILL if it lingers)."""
        for name in ("webserver", "worker"):
            proc = self._procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass
        for fh in self._logs:
            fh.close()
        self._logs.clear()

    def wait(self) -> None:
        """Block while both processes run; raise :class:`ServerError` when one of them exits."""
        while True:
            self._check_alive()
            time.sleep(0.5)

    def __enter__(self) -> "DoccanoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(home: Path, username: str, password: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          console: Console | None = None) -> None:
    """Run doccano in the foreground until Ctrl-C or SIGTERM, which stop both processes."""
    console = console or Console(stderr=True)

    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    # SIGINT too: a shell that starts the command in the background leaves SIGINT ignored
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = DoccanoServer(home, username, password, host=host, port=port, console=console)
    try:
        with server:
            console.print(f"doccano is running at [bold]{server.url}[/bold] (log in as {username}); "
                          f"data in {server.home}, logs in {server.log_dir}. Press Ctrl-C to stop.")
            server.wait()
    except KeyboardInterrupt:
        console.print("doccano stopped.")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

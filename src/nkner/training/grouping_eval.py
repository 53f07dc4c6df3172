"""The labelled fact-pair set of the grouping (annotations/fact-pairs/): its source facts, the
choose/held-out split, the threshold choice on `choose` and the held-out figures.

    python -m nkner.training.grouping_eval facts      # the shipped model over corpus/clean and the new reports
    python -m nkner.training.grouping_eval draw -o F   # the candidate pairs (then labelled by reading)
    python -m nkner.training.grouping_eval choose     # weights and threshold chosen on `choose`
    python -m nkner.training.grouping_eval evaluate   # the committed score on `heldout`

docs/grouping.md describes the protocol.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from nkner.factbase.grouping import fact_records

ROOT = Path(__file__).resolve().parents[3]
PAIRS_DIR = ROOT / "annotations" / "fact-pairs"
FACTS_FILE = ROOT / "build" / "fact-pairs-facts.jsonl"   # not committed: it would hold whole new reports
PAIRS_FILE = PAIRS_DIR / "pairs.jsonl"
REPORTS_DIR = PAIRS_DIR / "reports"
SPLIT_SEED = "nkner-fact-pairs-v1"
CHOOSE_SHARE = 0.6


def split_of(pair_id: str, seed: str = SPLIT_SEED) -> str:
    """``choose`` or ``heldout``, fixed by a seeded hash of the pair id (about 60 / 40)."""
    h = int(hashlib.sha256(f"{seed}:{pair_id}".encode("utf-8")).hexdigest()[:8], 16)
    return "choose" if h / 0xFFFFFFFF < CHOOSE_SHARE else "heldout"


def _reports(root: Path = ROOT, texts: Path | None = None) -> list[dict]:
    """The corpus texts and the new reports: report_id, text, publisher, report_date, source.  A new
    report not stored under annotations/fact-pairs/reports/ (its rights do not allow it) is read from
    ``texts/<id>.txt`` when given, else left out (its facts stay in facts.jsonl as extracted)."""
    docs = json.loads((root / "corpus" / "sources.json").read_text(encoding="utf-8"))["documents"]
    out = []
    for d in docs:
        path = root / "corpus" / "clean" / f"{d['id']}.txt"
        out.append({"report_id": d["id"], "text": path.read_text(encoding="utf-8"), "publisher": d.get("publisher"),
                    "report_date": d.get("date"), "source": f"corpus/clean/{d['id']}.txt"})
    reports_dir = root / "annotations" / "fact-pairs" / "reports"
    meta = reports_dir / "reports.json"
    for d in json.loads(meta.read_text(encoding="utf-8"))["reports"] if meta.exists() else []:
        path = reports_dir / d["file"] if d.get("stored") else (texts / f"{d['id']}.txt" if texts else None)
        if path is None or not path.exists():
            print(f"{d['id']}: text not stored and not given (--texts); its facts are not re-extracted", file=sys.stderr)
            continue
        out.append({"report_id": d["id"], "text": path.read_text(encoding="utf-8"), "publisher": d.get("publisher"),
                    "report_date": d.get("date"), "source": d["url"]})
    return out


def extract_facts(out: Path = FACTS_FILE, model: str | None = None, texts: Path | None = None) -> int:
    """Run the shipped model over every report (its date as the document date) and write their fact
    records, one JSON line each; returns the number of facts."""
    from rich.progress import track

    from nkner.extract.run import extract_text, load

    nlp = load(model)
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for rep in track(_reports(texts=texts), description="extracting", transient=True):
            result = extract_text(rep["text"], nlp, source=rep["source"], doc_date=rep["report_date"])
            for rec in fact_records(result, rep["publisher"], rep["report_date"], report_id=rep["report_id"],
                                    text=rep["text"]):
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    return n


# Reports known (from corpus/sources.json's `events` notes and the new reports' titles) to report one
# main event.  Used ONLY to stratify the draw, so that same-event pairs are well represented; the
# labels come from reading each pair, never from this table.
EVENT_CLUSTERS = {
    "oct2023": ["300_", "307_", "308_", "322_", "323_", "324_", "355_", "356_", "362_", "401_", "406_",
                "n06_", "n07_", "n08_", "n09_", "319_", "327_"],
    "laos2013": ["200_", "303_", "304_", "305_", "306_", "321_", "n01_", "n02_", "n03_", "n04_", "n05_"],
    "coi2014": ["151_", "201_", "366_", "455_", "458_", "208_", "n11_", "n12_", "n13_"],
    "shenyang2012": ["352_", "353_", "354_", "n17_", "n18_"],
    "ningbo2016": ["205_", "n14_", "n15_", "n16_"],
    "quintana2019": ["309_", "310_"],
    "quintana2017": ["311_", "312_"],
    "returns2024": ["n08_", "n09_", "327_", "n10_"],
}
STRATA = {"cluster": 150, "cross_cluster": 55, "same_year": 50, "random": 45, "provisional_high": 40}


def _clusters_of(report_id: str) -> set[str]:
    return {k for k, prefixes in EVENT_CLUSTERS.items() if any(report_id.startswith(p) for p in prefixes)}


def _year(fact: dict) -> int | None:
    from nkner.factbase.grouping import iso_interval

    for v in (fact.get("time") or []) + [fact.get("report_date") or ""]:
        iv = iso_interval(v)
        if iv and iv[0].year == iv[1].year:
            return iv[0].year
    return None


def pair_id(a: dict, b: dict) -> str:
    return "|".join(sorted((a["fact_id"], b["fact_id"])))


def draw_pairs(facts: list[dict], seed: int = 13, strata: dict | None = None) -> list[dict]:
    """Candidate pairs (facts of different reports, same event type), stratified (STRATA):
    ``cluster`` both reports in one event cluster; ``cross_cluster`` reports of two different clusters
    in the same year (hard negatives: same type and year, another event); ``same_year`` same type and
    year, any reports; ``random`` any two; ``provisional_high`` pairs that :func:`pair_score` rates 0.45 or more
    (the committed set was drawn at commit b4fd9e1, whose pair_score was the provisional hand-set
    one; today's chosen score draws other pairs in that stratum).  Each pair gets its split from its id (:func:`split_of`), before any labelling or scoring."""
    import random

    from nkner.factbase.grouping import pair_score

    strata = strata or STRATA
    rng = random.Random(seed)
    facts = sorted(facts, key=lambda f: f["fact_id"])
    by_type: dict[str, list[dict]] = {}
    for f in facts:
        if f["sentence"] and len(f["sentence"]) < 600:   # a fact whose "sentence" is a whole block is unreadable
            by_type.setdefault(f["event_type"], []).append(f)
    cands: dict[str, list[tuple[dict, dict]]] = {k: [] for k in strata}
    for fs in by_type.values():
        for i, a in enumerate(fs):
            ca, ya = _clusters_of(a["report_id"]), _year(a)
            for b in fs[i + 1:]:
                if a["report_id"] == b["report_id"]:
                    continue
                cb, yb = _clusters_of(b["report_id"]), _year(b)
                if ca & cb:
                    cands["cluster"].append((a, b))
                elif ca and cb and ya and ya == yb:
                    cands["cross_cluster"].append((a, b))
                elif ya and ya == yb:
                    cands["same_year"].append((a, b))
                cands["random"].append((a, b))
    high = [(a, b) for fs in by_type.values() for i, a in enumerate(fs) for b in fs[i + 1:]
            if a["report_id"] != b["report_id"] and pair_score(a, b) >= 0.45]
    cands["provisional_high"] = high
    out: dict[str, dict] = {}
    for name, want in strata.items():
        pool = [p for p in cands[name] if pair_id(*p) not in out]
        if name == "cluster":
            # favour the facts that carry the event (a figure, a time or a place) over background ones
            pool.sort(key=lambda p: -sum(bool(f["figures"]) + bool(f["time"]) + bool(f["places"]) for f in p))
            head, tail = pool[: want * 3], pool[want * 3:]
            picked = rng.sample(head, min(len(head), want * 2 // 3)) + rng.sample(tail, min(len(tail), want - want * 2 // 3))
        else:
            picked = rng.sample(pool, min(len(pool), want))
        for a, b in picked:
            pid = pair_id(a, b)
            a, b = (a, b) if a["fact_id"] < b["fact_id"] else (b, a)
            out[pid] = {"pair_id": pid, "stratum": name, "split": split_of(pid), "a": a, "b": b}
    return sorted(out.values(), key=lambda p: p["pair_id"])


# --------------------------------------------------------------------------------------------
# choice on `choose`, figures on `heldout`
# --------------------------------------------------------------------------------------------
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
THRESHOLDS = tuple(round(0.05 + 0.01 * i, 2) for i in range(91))   # 0.05 .. 0.95
FOLDS = 5


def load_pairs(path: Path = PAIRS_FILE) -> list[dict]:
    """The labelled pairs; a malformed line is an error naming the file and line."""
    pairs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            p = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{n}: not JSON ({e})") from None
        for key in ("pair_id", "split", "label", "a", "b"):
            if key not in p:
                raise ValueError(f"{path}:{n}: no {key!r}")
        if p["label"] not in ("same", "different", "unsure") or p["split"] not in ("choose", "heldout"):
            raise ValueError(f"{path}:{n}: label {p['label']!r} / split {p['split']!r} not allowed")
        pairs.append(p)
    return pairs


def _xy(pairs: list[dict]):
    import numpy as np

    from nkner.factbase.grouping import feature_vector, pair_features

    scored = [p for p in pairs if p["label"] != "unsure"]
    feats = [pair_features(p["a"], p["b"]) for p in scored]
    X = np.array([feature_vector(f) for f in feats])
    y = np.array([p["label"] == "same" for p in scored], dtype=int)
    incompatible = np.array([f["incompatible"] for f in feats])
    return X, y, incompatible


def prf(pred, y) -> dict:
    tp = int((pred & (y == 1)).sum())
    n_pred, n_pos = int(pred.sum()), int((y == 1).sum())
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_pos if n_pos else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
            "tp": tp, "predicted": n_pred, "positives": n_pos, "pairs": int(len(y))}


def _best_threshold(prob, y, incompatible) -> tuple[float, dict]:
    """The threshold of highest F1; ties go to the higher threshold (a wrong merge costs more than a
    missed one: it makes two events look corroborated)."""
    best = None
    for t in THRESHOLDS:
        got = prf((prob >= t) & ~incompatible, y)
        if best is None or got["f1"] >= best[1]["f1"]:
            best = (t, got)
    return best


def choose(pairs: list[dict], seed: int = 0) -> dict:
    """Fit the pair score on the `choose` pairs: the regularization by stratified 5-fold
    cross-validation (log loss), the threshold by the best F1 of the out-of-fold probabilities; then
    the weights refitted on all `choose` pairs.  Returns the model, the threshold and the figures."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold

    from nkner.factbase.grouping import FEATURES

    X, y, incompatible = _xy([p for p in pairs if p["split"] == "choose"])
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(X, y))
    cv = {}
    for c in C_GRID:
        oof = np.zeros(len(y))
        for tr, te in folds:
            oof[te] = LogisticRegression(C=c, max_iter=1000).fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
        cv[c] = (log_loss(y, oof), oof)
    best_c = min(C_GRID, key=lambda c: (round(cv[c][0], 9), c))
    threshold, oof_figures = _best_threshold(cv[best_c][1], y, incompatible)
    clf = LogisticRegression(C=best_c, max_iter=1000).fit(X, y)
    model = {"intercept": round(float(clf.intercept_[0]), 4),
             "weights": {f: round(float(w), 4) for f, w in zip(FEATURES, clf.coef_[0])}}
    return {"model": model, "threshold": threshold, "C": best_c,
            "cv_log_loss": {str(c): round(cv[c][0], 4) for c in C_GRID},
            "choose_out_of_fold": oof_figures}


def evaluate(pairs: list[dict], model: dict | None = None, threshold: float | None = None,
             split: str = "heldout", n_boot: int = 2000, seed: int = 0) -> dict:
    """Pairwise precision, recall and F1 of ``pair_score >= threshold`` on one split (unsure pairs left
    out), with 95% percentile intervals over ``n_boot`` bootstrap resamples of the pairs; the
    committed model and DEFAULT_THRESHOLD unless given."""
    import numpy as np

    from nkner.factbase import grouping

    model = grouping.MODEL if model is None else model
    threshold = grouping.DEFAULT_THRESHOLD if threshold is None else threshold
    chosen = [p for p in pairs if p["split"] == split and p["label"] != "unsure"]
    prob = np.array([grouping.score_features(grouping.pair_features(p["a"], p["b"]), model) for p in chosen])
    y = np.array([p["label"] == "same" for p in chosen], dtype=int)
    pred = prob >= threshold
    out = {"split": split, "threshold": threshold, **prf(pred, y)}
    if n_boot and len(y):
        rng = np.random.default_rng(seed)
        boot = {"precision": [], "recall": [], "f1": []}
        for _ in range(n_boot):
            idx = rng.integers(0, len(y), len(y))
            got = prf(pred[idx], y[idx])
            for k in boot:
                boot[k].append(got[k])
        out["ci95"] = {k: [round(float(np.percentile(v, 2.5)), 3), round(float(np.percentile(v, 97.5)), 3)]
                       for k, v in boot.items()}
    return out


def model_source(result: dict) -> str:
    """The lines of grouping.py that hold the chosen model and threshold."""
    m = result["model"]
    w = ", ".join(f'"{k}": {v}' for k, v in m["weights"].items())
    return (f'MODEL = {{"intercept": {m["intercept"]},\n         "weights": {{{w}}}}}\n'
            f'DEFAULT_THRESHOLD = {result["threshold"]}')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nkner.training.grouping_eval", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("facts", help="extract the source facts of the pair set")
    p.add_argument("--model", default=None)
    p.add_argument("-o", "--out", type=Path, default=FACTS_FILE)
    p.add_argument("--texts", type=Path, default=None, help="folder with <id>.txt of the new reports not stored")
    p = sub.add_parser("draw", help="draw the candidate pairs (unlabelled) from the facts")
    p.add_argument("--facts", type=Path, default=FACTS_FILE)
    p.add_argument("-o", "--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=13)
    p = sub.add_parser("choose", help="choose the weights and threshold on the choose pairs (prints them)")
    p.add_argument("--pairs", type=Path, default=PAIRS_FILE)
    p = sub.add_parser("evaluate", help="pairwise precision/recall/F1 of the committed score on heldout")
    p.add_argument("--pairs", type=Path, default=PAIRS_FILE)
    p.add_argument("--split", default="heldout", choices=("choose", "heldout"))
    args = parser.parse_args(argv)
    if args.command == "facts":
        n = extract_facts(args.out, args.model, args.texts)
        print(f"{n} facts -> {args.out}")
    elif args.command == "draw":
        facts = [json.loads(line) for line in args.facts.read_text(encoding="utf-8").splitlines() if line.strip()]
        pairs = draw_pairs(facts, args.seed)
        args.out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs), encoding="utf-8")
        print(f"{len(pairs)} pairs -> {args.out}")
    elif args.command == "choose":
        result = choose(load_pairs(args.pairs))
        print(json.dumps({k: v for k, v in result.items() if k != "model"}, indent=1))
        print("# in src/nkner/factbase/grouping.py:")
        print(model_source(result))
    elif args.command == "evaluate":
        print(json.dumps(evaluate(load_pairs(args.pairs), split=args.split), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

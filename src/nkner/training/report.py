"""Evaluation runs and their Markdown report (used by `nkner evaluate`)."""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from nkner.atomic import atomic_write_text
from nkner.corpus.store import Document
from nkner.schema import LABEL_NAMES, RELATION_NAMES
from nkner.training.baseline import rules_predictor
from nkner.training.evaluate import (evaluate_predictor, learning_curve, lodo,
                                     pipeline_predictor, plot_learning_curve, sm_predictor)
from nkner.training.train import lodo_documents


def run_lodo(backbones: list[str], baselines: bool = True, curve: bool = False, seed: int = 0,
             max_epochs: int | None = None, curve_epochs: int | None = None, progress=print) -> dict:
    docs = lodo_documents()
    result: dict = {"protocol": "leave-one-document-out over the gold documents "
                                f"({', '.join(d.id for d in docs)}); counts summed over folds (micro)",
                    "seed": seed, "machine": f"{platform.machine()}, {platform.python_version()}",
                    "date": time.strftime("%Y-%m-%d"), "systems": {}}
    for b in backbones:
        t0 = time.time()
        total, folds = lodo(docs, b, seed=seed, max_epochs=max_epochs, progress=progress)
        s = total.summary()
        s["folds"] = folds
        s["seconds"] = round(time.time() - t0, 1)
        result["systems"][f"nkner ({b})"] = s
    if baselines:
        for name, pred in (("rules only", rules_predictor()), ("en_core_web_sm (labels mapped)", sm_predictor())):
            result["systems"][name] = evaluate_predictor(pred, docs).summary()
            progress(f"baseline {name}: ents F {result['systems'][name]['ents_strict']['f']:.3f}")
    if curve:
        result["learning_curve"] = {"backbone": backbones[0], "max_epochs": curve_epochs or max_epochs,
                                    "rows": learning_curve(docs, backbones[0], seed=seed,
                                                           max_epochs=curve_epochs or max_epochs, progress=progress)}
    return result


def add_to_report(report_json: Path, result: dict) -> dict:
    """The existing report with ``result``'s systems added (same names replaced); its baselines,
    learning curve and protocol are kept.  Lets a backbone that needs another environment (the
    transformer) join the table."""
    path = Path(report_json)
    if not path.exists():
        return result
    merged = json.loads(path.read_text(encoding="utf-8"))
    merged["systems"].update(result["systems"])
    if "learning_curve" in result:
        merged["learning_curve"] = result["learning_curve"]
    return merged


def rerun_curve(report_json: Path, backbone: str, curve_epochs: int | None, seed: int = 0, progress=print) -> dict:
    """Recompute only the learning curve of an existing report (its LODO results are kept)."""
    result = json.loads(Path(report_json).read_text(encoding="utf-8"))
    docs = lodo_documents()
    result["learning_curve"] = {"backbone": backbone, "max_epochs": curve_epochs,
                                "rows": learning_curve(docs, backbone, seed=seed, max_epochs=curve_epochs,
                                                       progress=progress)}
    return result


def score_model_on_gold(model: Path, gold_files: list[Path]) -> dict:
    import spacy

    nlp = spacy.load(model)
    docs = []
    for f in gold_files:
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            if line.strip():
                docs.append(Document.from_record(json.loads(line), source=str(f)))
    trained_on = set(nlp.meta.get("nkner", {}).get("training_documents", []))
    overlap = sorted(trained_on & {d.id for d in docs})
    if overlap:
        raise ValueError(f"the model was trained on {', '.join(overlap)}: score it on gold it never saw")
    s = evaluate_predictor(pipeline_predictor(nlp), docs).summary()
    return {"model": str(model), "gold": [str(f) for f in gold_files], "scores": s}


def _f(row: dict | None) -> str:
    return f"{row['f']:.3f}" if row else "–"


def render_lodo(result: dict) -> str:
    systems = result["systems"]
    lines = ["# nkner evaluation", "",
             f"Protocol: {result['protocol']}. Seed {result['seed']}; {result['date']}; {result['machine']}.",
             "Entity scores are strict (exact span and label); overlap = same label, spans share a character.",
             "Relations are end to end (from predicted entities); 'rel (gold ents)' gives the relation "
             "component gold entities. Event-type accuracy is over gold EVENT spans found exactly.",
             "Baselines have no training, so they are scored on all documents at once.", "",
             "| system | ents P | ents R | ents F | ents F (overlap) | event-type acc. | rel P | rel R | rel F | "
             "rel F (gold ents) | time |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in systems.items():
        e, r = s["ents_strict"], s["relations"]
        acc = f"{s['event_type_accuracy']:.3f}" if s.get("event_type_accuracy") is not None else "–"
        lines.append(f"| {name} | {e['p']:.3f} | {e['r']:.3f} | {e['f']:.3f} | {s['ents_overlap']['f']:.3f} | {acc} | "
                     f"{r['p']:.3f} | {r['r']:.3f} | {r['f']:.3f} | {_f(s.get('relations_gold_ents'))} | "
                     f"{s.get('seconds', '')} |")
    if result.get("notes"):
        lines += ["", f"Note: {result['notes']}."]
    lines += ["", "## Entity F1 per label (strict / overlap)", "",
              "| system | " + " | ".join(LABEL_NAMES) + " |", "|---|" + "---|" * len(LABEL_NAMES)]
    for name, s in systems.items():
        cells = []
        for lab in LABEL_NAMES:
            st, ov = s["per_label_strict"].get(lab), s["per_label_overlap"].get(lab)
            cells.append(f"{_f(st)} / {_f(ov)}" if st and (st["tp"] + st["fp"] + st["fn"]) else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "## Relation F1 per type (end to end)", "",
              "| system | " + " | ".join(RELATION_NAMES) + " |", "|---|" + "---|" * len(RELATION_NAMES)]
    for name, s in systems.items():
        lines.append(f"| {name} | " + " | ".join(_f(s["per_relation"].get(t)) for t in RELATION_NAMES) + " |")
    for name, s in systems.items():
        if "folds" in s:
            lines += ["", f"### Folds of {name}", "", "| held-out document | ents F | event-type acc. | rel F | seconds |",
                      "|---|---|---|---|---|"]
            for fold in s["folds"]:
                acc = f"{fold['event_type_accuracy']:.3f}" if fold.get("event_type_accuracy") is not None else "–"
                lines.append(f"| {fold['documents'][0]} | {fold['ents_strict']['f']:.3f} | {acc} | "
                             f"{fold['relations']['f']:.3f} | {fold['seconds']} |")
    if "learning_curve" in result:
        lc = result["learning_curve"]
        epochs = (f", {lc['max_epochs']} epochs at four documents and proportionally more for fewer, so every "
                  "point gets the same number of updates" if lc.get("max_epochs") else "")
        lines += ["", f"## Learning curve ({lc['backbone']}{epochs})", "",
                  "Each point: for every document held out in turn, train on the first n of the other "
                  "four and score on the held-out one (micro over the five).", "",
                  "| training documents | ents F | rel F | event-type acc. |", "|---|---|---|---|"]
        for row in lc["rows"]:
            lines.append(f"| {row['train_docs']} | {row['ents_f']:.3f} | {row['rel_f']:.3f} | "
                         f"{row['event_type_accuracy'] or 0:.3f} |")
        lines += ["", "![learning curve](learning_curve.png)"]
    return "\n".join(lines) + "\n"


def render_single(result: dict) -> str:
    s = result["scores"]
    lines = [f"# Scores of {result['model']} on {', '.join(result['gold'])}", "",
             f"Documents: {', '.join(s['documents'])}", "",
             f"- entities strict P/R/F: {s['ents_strict']['p']:.3f} / {s['ents_strict']['r']:.3f} / {s['ents_strict']['f']:.3f}",
             f"- entities overlap F: {s['ents_overlap']['f']:.3f}",
             f"- event-type accuracy: {s['event_type_accuracy']}",
             f"- relations P/R/F: {s['relations']['p']:.3f} / {s['relations']['r']:.3f} / {s['relations']['f']:.3f}",
             "", "| label | P | R | F |", "|---|---|---|---|"]
    for lab, row in s["per_label_strict"].items():
        lines.append(f"| {lab} | {row['p']:.3f} | {row['r']:.3f} | {row['f']:.3f} |")
    return "\n".join(lines) + "\n"


def write_report(path: Path, markdown: str, result: dict | None = None) -> None:
    path = Path(path)
    atomic_write_text(path, markdown)
    if result is not None:
        atomic_write_text(path.with_suffix(".json"), json.dumps(result, indent=1) + "\n")
        if "learning_curve" in result:
            name = f"learning_curve_{result['split']}.png" if result.get("split") else "learning_curve.png"
            plot_learning_curve(result["learning_curve"]["rows"], path.parent / name)


# ------------------------------------------------------------------------------------------------
# held-out split: train on the other splits' gold, score on dev (to choose) or test (to report)


def _score_by_genre(predict, docs: list[Document]) -> tuple[dict, dict]:
    from nkner.training.evaluate import Scores, score_document

    total, by_genre = Scores(), {}
    for d in docs:
        pred, pred_gold = predict(d)
        s = score_document(d, pred, pred_gold)
        total.add(s)
        by_genre.setdefault(d.genre or "unknown", Scores()).add(s)
    return total.summary(), {g: s.summary() for g, s in sorted(by_genre.items())}


def run_split(backbones: list[str], split: str = "test", baselines: bool = True, curve: bool = False,
              seed: int = 0, max_epochs: int | None = None, save_dir: Path | None = None, progress=print) -> dict:
    """Train each backbone on the gold of the splits other than ``split`` that may train (train, and
    dev when ``split`` is test), score it on ``split``'s gold: micro scores, per genre, per label and
    relation type.  ``curve``: the first backbone retrained on growing shares of the training
    documents (the core texts first), each scored on ``split``."""
    import tempfile

    import spacy

    from nkner.corpus.store import load
    from nkner.training.train import record_split_scores, train, training_documents

    if split not in ("dev", "test"):
        raise ValueError(f"score on dev (to choose) or test (to report), not {split!r}")
    train_splits = ("train",) if split == "dev" else ("train", "dev")
    train_docs = training_documents(splits=train_splits)
    eval_docs = load(gold_only=True, split=split)
    words = lambda docs: sum(len(d.text.split()) for d in docs)  # noqa: E731
    result: dict = {
        "protocol": f"trained on the gold of {' + '.join(train_splits)} ({len(train_docs)} documents, "
                    f"{words(train_docs):,} words), scored on the {split} split ({len(eval_docs)} documents, "
                    f"{words(eval_docs):,} words{', publishers held out from training' if split == 'test' else ''}); "
                    "counts summed over documents (micro)",
        "split": split, "seed": seed, "machine": f"{platform.machine()}, {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"), "documents": [d.id for d in eval_docs], "systems": {}}
    with tempfile.TemporaryDirectory(prefix="nkner-split-") as tmp:
        for b in backbones:
            t0 = time.time()
            out = (Path(save_dir) / b) if save_dir else Path(tmp) / b
            progress(f"training {b} on {len(train_docs)} documents ...")
            nlp = spacy.load(train(train_docs, out, backbone=b, seed=seed, max_epochs=max_epochs, quiet=True))
            total, genres = _score_by_genre(pipeline_predictor(nlp), eval_docs)
            total["per_genre"] = genres
            total["seconds"] = round(time.time() - t0, 1)
            result["systems"][f"nkner ({b})"] = total
            if save_dir:  # the saved pipeline's meta carries the scores it got here
                record_split_scores(out, total, result["protocol"], result["date"])
            progress(f"{b}: ents F {total['ents_strict']['f']:.3f}, rel F {total['relations']['f']:.3f}")
        if baselines:
            for name, pred in (("rules only", rules_predictor()), ("en_core_web_sm (labels mapped)", sm_predictor())):
                total, genres = _score_by_genre(pred, eval_docs)
                total["per_genre"] = genres
                result["systems"][name] = total
        if curve:
            import random

            core = [d for d in train_docs if d.core]
            rest = [d for d in train_docs if not d.core]
            random.Random(seed).shuffle(rest)
            rows = []
            for share in (0.0, 0.25, 0.5, 1.0):
                subset = core + rest[:round(share * len(rest))]
                if share == 1.0:  # all training documents: the first backbone's model above
                    s = result["systems"][f"nkner ({backbones[0]})"]
                else:
                    nlp = spacy.load(train(subset, Path(tmp) / f"curve-{share}", backbone=backbones[0], seed=seed,
                                           max_epochs=max_epochs, quiet=True))
                    s = evaluate_predictor(pipeline_predictor(nlp), eval_docs).summary()
                rows.append({"documents": len(subset), "words": words(subset), "ents_f": s["ents_strict"]["f"],
                             "relations_f": s["relations"]["f"], "event_type_accuracy": s["event_type_accuracy"]})
                progress(f"curve {len(subset)} documents: ents F {rows[-1]['ents_f']:.3f}")
            result["learning_curve"] = {"backbone": backbones[0], "rows": rows,
                                        "order": "the core texts, then the other training documents in a "
                                                 f"seeded random order (seed {seed})"}
    return result


def render_split(result: dict) -> str:
    """The held-out split report: headline table, per genre, per label, per relation type, curve."""
    from nkner.corpus.store import GENRES

    lines = [f"# nkner evaluation on the {result['split']} split", "",
             f"Protocol: {result['protocol']}. Seed {result['seed']}; {result['date']}; {result['machine']}.",
             "Entity scores are strict (exact span and label) unless marked overlap (same label, spans share a "
             "character). Relations are end to end; 'rel F (gold ents)' gives the relation component gold "
             "entities. Event-type accuracy is over gold EVENT spans found exactly.", ""]
    body = render_lodo({k: v for k, v in result.items() if k != "learning_curve"}).split("\n")
    # reuse the LODO tables (headline, per label, per relation), without their title and protocol lines
    start = next(i for i, ln in enumerate(body) if ln.startswith("| system |"))
    lines += body[start:]
    genres = [g for g in GENRES if any(g in s.get("per_genre", {}) for s in result["systems"].values())]
    lines += ["", "## Per genre (entity F1 strict / relation F1)", "",
              "| system | " + " | ".join(genres) + " |", "|---|" + "---|" * len(genres)]
    for name, s in result["systems"].items():
        cells = []
        for g in genres:
            gs = s.get("per_genre", {}).get(g)
            cells.append(f"{gs['ents_strict']['f']:.3f} / {gs['relations']['f']:.3f}" if gs else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if result.get("learning_curve"):
        lc = result["learning_curve"]
        lines += ["", f"## Learning curve ({lc['backbone']}; {lc['order']})", "",
                  "| training documents | training words | ents F | rel F | event-type acc. |", "|---|---|---|---|---|"]
        for r in lc["rows"]:
            acc = f"{r['event_type_accuracy']:.3f}" if r.get("event_type_accuracy") is not None else "–"
            lines.append(f"| {r['documents']} | {r['words']:,} | {r['ents_f']:.3f} | {r['relations_f']:.3f} | {acc} |")
    return "\n".join(lines) + "\n"

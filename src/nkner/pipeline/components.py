"""nkner's trainable spaCy components beyond NER: event typing and relation extraction.

Both are linear classifiers over the features in :mod:`nkner.pipeline.features` (see
:mod:`nkner.pipeline.linear`).  They are trained by :mod:`nkner.training.train` from gold Docs
(``update`` is not used: scikit-learn fits them in one pass), serialized with the pipeline, and
registered as factories so ``spacy.load(model_dir)`` restores them.
"""

import json
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ensure_path

import nkner.pipeline.extensions  # noqa: F401
from nkner.pipeline.features import (ALLOWED, PairContext, candidate_pairs, event_features, relation_dense,
                                     relation_features)
from nkner.pipeline.linear import LinearModel
from nkner.schema import EVENT_TYPE_NAMES

NONE = "none"
#: a relation type is "one tail per head" when at least this share of gold heads have a single tail
SINGLE_TAIL_SHARE = 0.9


class EventTyper:
    """Assigns ``span._.event_type`` (and ``span._.event_score``) to every EVENT entity."""

    def __init__(self, nlp: Language, name: str = "nkner_event_typer", c: float = 4.0):
        self.name = name
        self.c = c
        self.model = LinearModel()

    def __call__(self, doc: Doc) -> Doc:
        events = [e for e in doc.ents if e.label_ == "EVENT"]
        if not events or not self.model.is_trained:
            return doc
        probs = self.model.predict_proba([event_features(e) for e in events])
        for ent, p in zip(events, probs):
            k = int(p.argmax())
            ent._.event_type = self.model.classes[k]
            ent._.event_score = float(p[k])
        return doc

    def fit(self, docs: Iterable[Doc], seed: int = 0) -> int:
        """Fit on Docs whose EVENT entities carry gold ``span._.event_type``; returns #examples."""
        feats, labels = [], []
        for doc in docs:
            for ent in doc.ents:
                if ent.label_ == "EVENT" and ent._.event_type in EVENT_TYPE_NAMES:
                    feats.append(event_features(ent))
                    labels.append(ent._.event_type)
        self.model.fit(feats, labels, c=self.c, seed=seed)
        return len(labels)

    def to_disk(self, path, exclude=tuple()):
        self.model.to_disk(ensure_path(path))

    def from_disk(self, path, exclude=tuple()):
        path = Path(path)
        if (path / "model.json").exists():
            self.model = LinearModel.from_disk(path)
        return self


class RelationExtractor:
    """Predicts the relations of the schema between entity pairs within a sentence.

    Writes ``doc._.relations``: a list of ``{"head": [start_char, end_char], "tail": [...],
    "type": str, "score": float}``.  A pair gets the most probable relation type that the schema
    allows for its labels when that probability reaches ``threshold``; for the ``single`` types a
    head keeps only its best-scoring tail.

    ``fit`` learns ``single`` from the gold (types where most heads have one tail) and chooses
    ``threshold`` by cross-validation over the training documents themselves (each one predicted by
    a model fitted on the others), so no held-out data is used for either.

    Besides the named features, each pair has a dense block: the backbone's contextual vectors of
    the two roots and of the words between them, times ``vector_scale`` (0 leaves it out).
    """

    THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)

    def __init__(self, nlp: Language, name: str = "nkner_relations", threshold: float = 0.5,
                 c: float = 1.0, tune_threshold: bool = True, vector_scale: float = 0.15):
        self.name = name
        self.threshold = threshold
        self.c = c
        self.tune_threshold = tune_threshold
        self.vector_scale = vector_scale
        #: relation types where a head keeps only its best tail (learned in ``fit`` from the gold)
        self.single: list[str] = ["quantity"]
        #: pooled F1 of the chosen threshold in that cross-validation (None until fitted)
        self.cv_f1: float | None = None
        self.model = LinearModel()

    def __call__(self, doc: Doc) -> Doc:
        rels = []
        ctx = PairContext(doc)
        pairs = candidate_pairs(doc, ctx=ctx)
        if pairs and self.model.is_trained:
            dense = relation_dense(pairs, self.vector_scale, self.model.n_dense // 3) if self.model.n_dense else None
            probs = self.model.predict_proba([relation_features(h, t, h._.event_type, ctx) for h, t in pairs], dense)
            rels = self.decode(self.model.classes, pairs, probs, self.threshold, self.single)
        doc._.relations = rels
        return doc

    @staticmethod
    def decode(classes: list[str], pairs: list[tuple], probs, threshold: float,
               single: Iterable[str] = ("quantity",)) -> list[dict]:
        """Relations from pair probabilities: each pair's best allowed type when it reaches
        ``threshold``; for the types in ``single`` a head keeps only its best-scoring tail."""
        single = set(single)
        rels = []
        best_single: dict[tuple[int, int, str], dict] = {}
        for (h, t), p in zip(pairs, probs):
            allowed = ALLOWED[(h.label_, t.label_)]
            scored = [(float(p[i]), c) for i, c in enumerate(classes) if c in allowed]
            if not scored:
                continue
            score, rtype = max(scored)
            if score < threshold:
                continue
            rel = {"head": [h.start_char, h.end_char], "tail": [t.start_char, t.end_char],
                   "type": rtype, "score": round(score, 4)}
            if rtype in single:
                key = (h.start_char, h.end_char, rtype)
                if key not in best_single or best_single[key]["score"] < score:
                    best_single[key] = rel
            else:
                rels.append(rel)
        rels.extend(best_single.values())
        rels.sort(key=lambda r: (r["head"][0], r["tail"][0], r["type"]))
        return rels

    def _examples(self, doc: Doc) -> tuple[list, list[dict], list[str], set, "np.ndarray | None"]:
        gold = {(tuple(r["head"]), tuple(r["tail"])): r["type"] for r in (doc._.relations or [])}
        ctx = PairContext(doc)
        pairs = candidate_pairs(doc, ctx=ctx)
        feats = [relation_features(h, t, h._.event_type, ctx) for h, t in pairs]
        labels = [gold.get(((h.start_char, h.end_char), (t.start_char, t.end_char)), NONE) for h, t in pairs]
        gold_set = {(h, t, typ) for (h, t), typ in gold.items()}
        dense = relation_dense(pairs, self.vector_scale) if pairs else None
        return pairs, feats, labels, gold_set, dense

    @staticmethod
    def _stack(per_doc: list) -> "np.ndarray | None":
        """The dense blocks of these documents' examples, or None unless every document has one."""
        blocks = [dense for pairs, _, _, _, dense in per_doc if pairs]
        if not blocks or any(b is None for b in blocks):
            return None
        return np.vstack(blocks)

    def fit(self, docs: Iterable[Doc], seed: int = 0) -> int:
        """Fit on Docs with gold entities and gold ``doc._.relations``; returns #candidate pairs."""
        docs = list(docs)
        self.single = self.single_tail_types(docs)
        per_doc = [self._examples(doc) for doc in docs]
        if self.tune_threshold and len(per_doc) >= 2:
            self.threshold = self._cross_validated_threshold(per_doc, seed)
        feats = [f for _, fs, _, _, _ in per_doc for f in fs]
        labels = [lab for _, _, ls, _, _ in per_doc for lab in ls]
        self.model = LinearModel().fit(feats, labels, c=self.c, seed=seed, dense=self._stack(per_doc))
        return len(labels)

    @staticmethod
    def single_tail_types(docs: list[Doc], share: float = SINGLE_TAIL_SHARE) -> list[str]:
        """Relation types for which at least ``share`` of the heads in the gold have exactly one tail
        (an event has one ``affected`` group, one ``time``; a number counts one thing)."""
        groups: dict[str, Counter] = {}
        for doc in docs:
            for (_, rtype), n in Counter((tuple(r["head"]), r["type"]) for r in (doc._.relations or [])).items():
                groups.setdefault(rtype, Counter())[n == 1] += 1
        return sorted(t for t, c in groups.items() if c[True] / (c[True] + c[False]) >= share)

    def _cross_validated_threshold(self, per_doc: list, seed: int) -> float:
        """The threshold with the best pooled F1 when each training document is predicted by a model
        fitted on the other training documents."""
        tp, n_pred = {th: 0 for th in self.THRESHOLDS}, {th: 0 for th in self.THRESHOLDS}
        n_gold = 0
        for i, (pairs, feats, _, gold_set, dense) in enumerate(per_doc):
            rest = [x for j, x in enumerate(per_doc) if j != i]
            rest_f = [f for _, fs, _, _, _ in rest for f in fs]
            rest_l = [lab for _, _, ls, _, _ in rest for lab in ls]
            n_gold += len(gold_set)
            if not pairs or len(set(rest_l)) < 2:
                continue
            inner = LinearModel().fit(rest_f, rest_l, c=self.c, seed=seed, dense=self._stack(rest))
            probs = inner.predict_proba(feats, dense if inner.n_dense else None)
            for th in self.THRESHOLDS:
                pred = {(tuple(r["head"]), tuple(r["tail"]), r["type"])
                        for r in self.decode(inner.classes, pairs, probs, th, self.single)}
                tp[th] += len(pred & gold_set)
                n_pred[th] += len(pred)

        def f1(th: float) -> float:
            return 2 * tp[th] / (n_pred[th] + n_gold) if n_pred[th] + n_gold else 0.0
        best = max(self.THRESHOLDS, key=lambda th: (f1(th), th))
        self.cv_f1 = round(f1(best), 4)
        return best

    def to_disk(self, path, exclude=tuple()):
        path = ensure_path(path)
        self.model.to_disk(path)
        (path / "cfg.txt").write_text(f"{self.threshold}\n", encoding="utf-8")
        (path / "vectors.json").write_text(json.dumps({"vector_scale": self.vector_scale}) + "\n",
                                           encoding="utf-8")
        (path / "single.json").write_text(json.dumps(self.single) + "\n", encoding="utf-8")

    def from_disk(self, path, exclude=tuple()):
        path = Path(path)
        if (path / "model.json").exists():
            self.model = LinearModel.from_disk(path)
        if (path / "cfg.txt").exists():
            self.threshold = float((path / "cfg.txt").read_text().strip())
        if (path / "single.json").exists():
            self.single = json.loads((path / "single.json").read_text(encoding="utf-8"))
        if (path / "vectors.json").exists():
            self.vector_scale = json.loads((path / "vectors.json").read_text(encoding="utf-8"))["vector_scale"]
        return self


@Language.factory("nkner_event_typer", assigns=["span._.event_type", "span._.event_score"],
                  requires=["doc.ents"], default_config={"c": 4.0})
def make_event_typer(nlp: Language, name: str, c: float) -> EventTyper:
    return EventTyper(nlp, name, c=c)


@Language.factory("nkner_relations", assigns=["doc._.relations"],
                  requires=["doc.ents", "token.is_sent_start", "span._.event_type"],
                  default_config={"threshold": 0.5, "c": 1.0, "tune_threshold": True, "vector_scale": 0.15})
def make_relation_extractor(nlp: Language, name: str, threshold: float, c: float,
                            tune_threshold: bool, vector_scale: float) -> RelationExtractor:
    return RelationExtractor(nlp, name, threshold=threshold, c=c, tune_threshold=tune_threshold,
                             vector_scale=vector_scale)

"""nkner's trainable spaCy components beyond NER: event typing and relation extraction.

Both are linear classifiers over the features in :mod:`nkner.pipeline.features` (see
:mod:`nkner.pipeline.linear`), fitted by scikit-learn in ``initialize`` on the gold documents
(see :mod:`nkner.pipeline.fitting`; ``update`` is not used: they are fitted in one pass), saved with
the pipeline through ``to_disk``/``to_bytes``, scored by ``score`` (spaCy's ``Scorer``, ``spacy
evaluate``), and registered as factories so ``spacy.load(model_dir)`` restores them.
"""

from collections import Counter, defaultdict
from typing import Callable, Iterable, Optional

import numpy as np
from spacy.language import Language
from spacy.scorer import PRFScore, Scorer
from spacy.tokens import Doc, Span
from spacy.training import Example

import nkner.pipeline.extensions  # noqa: F401
from nkner.pipeline.features import (ALLOWED, PairContext, candidate_pairs, event_features, relation_dense,
                                     relation_features)
from nkner.pipeline.fitting import LinearComponent, config_float, examples_for, gold_training_docs
from nkner.pipeline.linear import LinearModel
from nkner.schema import EVENT_TYPE_NAMES

NONE = "none"
#: a relation type is "one tail per head" when at least this share of gold heads have a single tail
SINGLE_TAIL_SHARE = 0.9
#: folds of that cross-validation over the training documents (leave-one-document-out up to this many)
CV_FOLDS = 5
#: the relation thresholds tried by cross-validation when the config leaves ``threshold`` null
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


class EventTyper(LinearComponent):
    """Assigns ``span._.event_type`` (and ``span._.event_score``) to every EVENT entity."""

    def __init__(self, nlp: Language | None, name: str = "nkner_event_typer", c: float = 4.0, seed: int = 0):
        self.name = name
        self.c = config_float(c)
        self.seed = seed
        self.model = LinearModel()
        #: number of gold EVENTs it was fitted on
        self.n_examples = 0

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

    def initialize(self, get_examples: Callable[[], Iterable[Example]] | None = None, *,
                   nlp: Language | None = None,
                   documents: Optional[Callable[[Language], Iterable[Example]]] = None) -> None:
        """Fit on the gold EVENTs of the training documents (``documents``: a reader of whole
        documents; default: spaCy's training examples)."""
        self._initialize_args = (get_examples, {"documents": documents})
        self.fit(gold_training_docs(examples_for(get_examples, nlp, documents), nlp, self.name), seed=self.seed)

    def fit(self, docs: Iterable[Doc], seed: int | None = None) -> int:
        """Fit on Docs whose EVENT entities carry gold ``span._.event_type``; returns #examples."""
        feats, labels = [], []
        for doc in docs:
            for ent in doc.ents:
                if ent.label_ == "EVENT" and ent._.event_type in EVENT_TYPE_NAMES:
                    feats.append(event_features(ent))
                    labels.append(ent._.event_type)
        self.model = LinearModel().fit(feats, labels, c=self.c, seed=self.seed if seed is None else seed)
        self.n_examples = len(labels)
        return len(labels)

    def learned(self) -> dict:
        return {"n_examples": self.n_examples}

    def set_learned(self, cfg: dict) -> None:
        self.n_examples = int(cfg.get("n_examples", 0))

    def score(self, examples: Iterable[Example], **kwargs) -> dict:
        """``event_type_acc``: share of the predicted EVENTs with a gold EVENT at the same offsets that
        have its event type; ``event_types_p/r/f`` and ``event_types_per_type``: EVENT spans with
        their type, matched exactly."""
        examples = list(examples)
        n = correct = 0
        for eg in examples:
            gold = {(e.start_char, e.end_char): e._.event_type for e in eg.reference.ents if e.label_ == "EVENT"}
            for e in eg.predicted.ents:
                key = (e.start_char, e.end_char)
                if e.label_ == "EVENT" and key in gold:
                    n += 1
                    correct += e._.event_type == gold[key]
        scores = Scorer.score_spans(examples, "event_types", getter=typed_events, labeled=True)
        scores["event_type_acc"] = correct / n if n else None
        return scores


def typed_events(doc: Doc, attr: str = "event_types") -> list[Span]:
    """The EVENT entities as spans labelled with their event type (for scoring)."""
    return [Span(doc, e.start, e.end, label=e._.event_type or NONE) for e in doc.ents if e.label_ == "EVENT"]


class RelationExtractor(LinearComponent):
    """Predicts the relations of the schema between entity pairs within a sentence.

    Writes ``doc._.relations``: a list of ``{"head": [start_char, end_char], "tail": [...],
    "type": str, "score": float}``.  A pair gets the most probable relation type that the schema
    allows for its labels when that probability reaches the threshold; for the ``single`` types a
    head keeps only its best-scoring tail.

    ``initialize`` learns ``single`` from the gold (types where at least ``single_tail_share`` of the
    heads have one tail) and, when the config's ``threshold`` is null, chooses the threshold among
    ``thresholds`` by cross-validation over the training documents themselves (each one predicted
    by a model fitted on the others), so no held-out data is used for either.  Both are learned
    state, saved with the component and reported in the model's meta.

    Besides the named features, each pair has a dense block: the backbone's contextual vectors of
    the two roots and of the words between them, times ``vector_scale`` (0 leaves it out).
    """

    THRESHOLDS = THRESHOLDS

    def __init__(self, nlp: Language | None, name: str = "nkner_relations", threshold: float | None = None,
                 thresholds: Iterable[float] = THRESHOLDS, c: float = 1.0, vector_scale: float = 0.15,
                 single_tail_share: float = SINGLE_TAIL_SHARE, seed: int = 0):
        self.name = name
        #: the threshold set in the config (None: chosen by cross-validation in ``initialize``)
        self.fixed_threshold = None if threshold is None else config_float(threshold)
        self.thresholds = tuple(config_float(t) for t in thresholds)
        self.c = config_float(c)
        self.vector_scale = config_float(vector_scale)
        self.single_tail_share = config_float(single_tail_share)
        self.seed = seed
        #: the threshold in use: the config's, or the one chosen in ``initialize``
        self.threshold = 0.5 if self.fixed_threshold is None else self.fixed_threshold
        #: relation types where a head keeps only its best tail (learned from the gold)
        self.single: list[str] = ["quantity"]
        #: pooled F1 of the chosen threshold in that cross-validation (None until fitted)
        self.cv_f1: float | None = None
        #: number of candidate pairs it was fitted on
        self.n_examples = 0
        self.model = LinearModel()

    @property
    def tune_threshold(self) -> bool:
        return self.fixed_threshold is None

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

    def initialize(self, get_examples: Callable[[], Iterable[Example]] | None = None, *,
                   nlp: Language | None = None,
                   documents: Optional[Callable[[Language], Iterable[Example]]] = None) -> None:
        """Fit on the gold relations of the training documents (``documents``: a reader of whole
        documents, which the cross-validated threshold holds out one at a time; default: spaCy's
        training examples)."""
        self._initialize_args = (get_examples, {"documents": documents})
        self.fit(gold_training_docs(examples_for(get_examples, nlp, documents), nlp, self.name), seed=self.seed)

    def fit(self, docs: Iterable[Doc], seed: int | None = None) -> int:
        """Fit on Docs with gold entities and gold ``doc._.relations``; returns #candidate pairs."""
        seed = self.seed if seed is None else seed
        docs = list(docs)
        self.single = self.single_tail_types(docs, self.single_tail_share)
        per_doc = [self._examples(doc) for doc in docs]
        self.cv_f1 = None
        self.threshold = 0.5 if self.fixed_threshold is None else self.fixed_threshold
        if self.tune_threshold and len(per_doc) >= 2:
            self.threshold = self._cross_validated_threshold(per_doc, seed)
        feats = [f for _, fs, _, _, _ in per_doc for f in fs]
        labels = [lab for _, _, ls, _, _ in per_doc for lab in ls]
        self.model = LinearModel().fit(feats, labels, c=self.c, seed=seed, dense=self._stack(per_doc))
        self.n_examples = len(labels)
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
        fitted on the documents of the other folds: document i is in fold i mod ``CV_FOLDS``, so
        up to that many documents this is leave-one-document-out, and a large corpus costs
        ``CV_FOLDS`` fits instead of one per document."""
        tp, n_pred = {th: 0 for th in self.thresholds}, {th: 0 for th in self.thresholds}
        n_gold = sum(len(gold_set) for _, _, _, gold_set, _ in per_doc)
        k = min(CV_FOLDS, len(per_doc))
        for fold in range(k):
            held = [x for i, x in enumerate(per_doc) if i % k == fold]
            rest = [x for i, x in enumerate(per_doc) if i % k != fold]
            rest_f = [f for _, fs, _, _, _ in rest for f in fs]
            rest_l = [lab for _, _, ls, _, _ in rest for lab in ls]
            if len(set(rest_l)) < 2:
                continue
            inner = LinearModel().fit(rest_f, rest_l, c=self.c, seed=seed, dense=self._stack(rest))
            for pairs, feats, _, gold_set, dense in held:
                if not pairs:
                    continue
                probs = inner.predict_proba(feats, dense if inner.n_dense else None)
                for th in self.thresholds:
                    pred = {(tuple(r["head"]), tuple(r["tail"]), r["type"])
                            for r in self.decode(inner.classes, pairs, probs, th, self.single)}
                    tp[th] += len(pred & gold_set)
                    n_pred[th] += len(pred)

        def f1(th: float) -> float:
            return 2 * tp[th] / (n_pred[th] + n_gold) if n_pred[th] + n_gold else 0.0
        best = max(self.thresholds, key=lambda th: (f1(th), th))
        self.cv_f1 = round(f1(best), 4)
        return best

    def learned(self) -> dict:
        return {"threshold": self.threshold, "single": self.single, "cv_f1": self.cv_f1,
                "n_examples": self.n_examples}

    def set_learned(self, cfg: dict) -> None:
        self.threshold = float(cfg["threshold"])
        self.single = list(cfg["single"])
        self.cv_f1 = cfg.get("cv_f1")
        self.n_examples = int(cfg.get("n_examples", 0))

    def score(self, examples: Iterable[Example], **kwargs) -> dict:
        """``rel_micro_p/r/f`` and ``rel_per_type``: relations matched exactly (head and tail offsets
        and type) against the reference's ``doc._.relations``."""
        micro, per_type = PRFScore(), defaultdict(PRFScore)
        for eg in examples:
            gold = {(tuple(r["head"]), tuple(r["tail"]), r["type"]) for r in eg.reference._.relations or []}
            pred = {(tuple(r["head"]), tuple(r["tail"]), r["type"]) for r in eg.predicted._.relations or []}
            micro.score_set(pred, gold)
            for rtype in {r[2] for r in gold | pred}:
                per_type[rtype].score_set({r for r in pred if r[2] == rtype}, {r for r in gold if r[2] == rtype})
        return {"rel_micro_p": micro.precision, "rel_micro_r": micro.recall, "rel_micro_f": micro.fscore,
                "rel_per_type": {t: per_type[t].to_dict() for t in sorted(per_type)}}


@Language.factory("nkner_event_typer", assigns=["span._.event_type", "span._.event_score"],
                  requires=["doc.ents"], default_config={"c": 4.0, "seed": 0},
                  default_score_weights={"event_type_acc": 0.0, "event_types_f": None, "event_types_p": None,
                                         "event_types_r": None, "event_types_per_type": None})
def make_event_typer(nlp: Language, name: str, c: float, seed: int) -> EventTyper:
    return EventTyper(nlp, name, c=c, seed=seed)


@Language.factory("nkner_relations", assigns=["doc._.relations"],
                  requires=["doc.ents", "token.is_sent_start", "span._.event_type"],
                  default_config={"threshold": None, "thresholds": list(THRESHOLDS), "c": 1.0, "vector_scale": 0.15,
                                  "single_tail_share": SINGLE_TAIL_SHARE, "seed": 0},
                  default_score_weights={"rel_micro_f": 0.0, "rel_micro_p": None, "rel_micro_r": None,
                                         "rel_per_type": None})
def make_relation_extractor(nlp: Language, name: str, threshold: Optional[float], thresholds: list[float],
                            c: float, vector_scale: float, single_tail_share: float,
                            seed: int) -> RelationExtractor:
    return RelationExtractor(nlp, name, threshold=threshold, thresholds=thresholds, c=c, vector_scale=vector_scale,
                             single_tail_share=single_tail_share, seed=seed)

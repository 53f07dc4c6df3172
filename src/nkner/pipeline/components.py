"""nkner's trainable spaCy components beyond NER: event typing and relation extraction.

Both are linear classifiers over the features in :mod:`nkner.pipeline.features` (see
:mod:`nkner.pipeline.linear`).  They are trained by :mod:`nkner.training.train` from gold Docs
(``update`` is not used: scikit-learn fits them in one pass), serialized with the pipeline, and
registered as factories so ``spacy.load(model_dir)`` restores them.
"""

from pathlib import Path
from typing import Iterable

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ensure_path

import nkner.pipeline.extensions  # noqa: F401
from nkner.pipeline.features import ALLOWED, candidate_pairs, event_features, relation_features
from nkner.pipeline.linear import LinearModel
from nkner.schema import EVENT_TYPE_NAMES

NONE = "none"


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
    "type": str, "score": float}``.  A NUMBER counts at most one thing: only its best ``quantity``
    is kept.
    """

    def __init__(self, nlp: Language, name: str = "nkner_relations", threshold: float = 0.5,
                 c: float = 1.0):
        self.name = name
        self.threshold = threshold
        self.c = c
        self.model = LinearModel()

    def __call__(self, doc: Doc) -> Doc:
        rels = []
        pairs = candidate_pairs(doc)
        if pairs and self.model.is_trained:
            feats = [relation_features(h, t, h._.event_type) for h, t in pairs]
            probs = self.model.predict_proba(feats)
            classes = self.model.classes
            best_quantity: dict[tuple[int, int], dict] = {}
            for (h, t), p in zip(pairs, probs):
                allowed = ALLOWED[(h.label_, t.label_)]
                scored = [(float(p[i]), c) for i, c in enumerate(classes) if c in allowed]
                if not scored:
                    continue
                score, rtype = max(scored)
                none_p = float(p[classes.index(NONE)]) if NONE in classes else 0.0
                if score < self.threshold or score < none_p:
                    continue
                rel = {"head": [h.start_char, h.end_char], "tail": [t.start_char, t.end_char],
                       "type": rtype, "score": round(score, 4)}
                if rtype == "quantity":
                    key = (h.start_char, h.end_char)
                    if key not in best_quantity or best_quantity[key]["score"] < score:
                        best_quantity[key] = rel
                else:
                    rels.append(rel)
            rels.extend(best_quantity.values())
            rels.sort(key=lambda r: (r["head"][0], r["tail"][0], r["type"]))
        doc._.relations = rels
        return doc

    def fit(self, docs: Iterable[Doc], seed: int = 0) -> int:
        """Fit on Docs with gold entities and gold ``doc._.relations``; returns #candidate pairs."""
        feats, labels = [], []
        for doc in docs:
            gold = {(tuple(r["head"]), tuple(r["tail"])): r["type"] for r in (doc._.relations or [])}
            for h, t in candidate_pairs(doc):
                feats.append(relation_features(h, t, h._.event_type))
                labels.append(gold.get(((h.start_char, h.end_char), (t.start_char, t.end_char)), NONE))
        self.model.fit(feats, labels, c=self.c, seed=seed)
        return len(labels)

    def to_disk(self, path, exclude=tuple()):
        path = ensure_path(path)
        self.model.to_disk(path)
        (path / "cfg.txt").write_text(f"{self.threshold}\n", encoding="utf-8")

    def from_disk(self, path, exclude=tuple()):
        path = Path(path)
        if (path / "model.json").exists():
            self.model = LinearModel.from_disk(path)
        if (path / "cfg.txt").exists():
            self.threshold = float((path / "cfg.txt").read_text().strip())
        return self


@Language.factory("nkner_event_typer", assigns=["span._.event_type", "span._.event_score"],
                  requires=["doc.ents"], default_config={"c": 4.0})
def make_event_typer(nlp: Language, name: str, c: float) -> EventTyper:
    return EventTyper(nlp, name, c=c)


@Language.factory("nkner_relations", assigns=["doc._.relations"],
                  requires=["doc.ents", "token.is_sent_start", "span._.event_type"],
                  default_config={"threshold": 0.5, "c": 1.0})
def make_relation_extractor(nlp: Language, name: str, threshold: float, c: float) -> RelationExtractor:
    return RelationExtractor(nlp, name, threshold=threshold, c=c)

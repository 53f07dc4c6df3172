"""Event-trigger verification: a second opinion on the NER's EVENT spans.

EVENT is the label the NER finds least reliably (most EVENTs are a single verb or noun, and the gold
has few examples of each), yet EVENTs head most relations, so every EVENT it misses or invents costs
relations too.  This component scores verbs and nouns with a linear classifier trained on the gold
(is this token part of an EVENT?) over the word, its tag and dependency, its neighbours, which
entities are its arguments, and the backbone's contextual vector, then:

- drops an EVENT predicted by the NER whose head word scores below ``drop_below``;
- adds a one-token EVENT for a verb or noun outside every entity that scores at least ``add_at``.

Both thresholds were chosen on development folds (see the README); ``add_at`` > 1 or
``drop_below`` = 0 switch a side off.  It is fitted in ``initialize`` (see
:mod:`nkner.pipeline.fitting`) and scored by ``score`` (EVENT spans, ``event_triggers_p/r/f``).
"""

from typing import Callable, Iterable, Optional

import numpy as np
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc, Span
from spacy.training import Example

import nkner.pipeline.extensions  # noqa: F401
from nkner.pipeline.features import (entity_labels_by_token, is_trigger_candidate, trigger_dense,
                                     trigger_features)
from nkner.pipeline.fitting import LinearComponent, config_float, examples_for, gold_training_docs
from nkner.pipeline.linear import LinearModel

EVENT = "EVENT"
IS_EVENT, NOT_EVENT = "event", "other"


class EventTriggerVerifier(LinearComponent):
    def __init__(self, nlp: Language | None, name: str = "nkner_event_triggers", drop_below: float = 0.25,
                 add_at: float = 0.5, c: float = 1.0, vector_scale: float = 0.15, seed: int = 0):
        self.name = name
        self.seed = seed
        #: number of tokens it was fitted on (0: no tagger in the pipeline, so it changes nothing)
        self.n_examples = 0
        self.drop_below = config_float(drop_below)
        self.add_at = config_float(add_at)
        self.c = config_float(c)
        self.vector_scale = config_float(vector_scale)
        self.model = LinearModel()
        #: what the last call changed, for inspection: {"dropped": n, "added": n}
        self.last_changes = {"dropped": 0, "added": 0}

    def scores(self, tokens: list, labels_of: dict[int, str]) -> np.ndarray:
        """P(part of an EVENT) for each token (all from one Doc)."""
        if not tokens:
            return np.zeros(0, dtype=np.float32)
        dense = trigger_dense(tokens, self.vector_scale, self.model.n_dense) if self.model.n_dense else None
        probs = self.model.predict_proba([trigger_features(t, labels_of) for t in tokens], dense)
        return probs[:, self.model.classes.index(IS_EVENT)]

    def __call__(self, doc: Doc) -> Doc:
        self.last_changes = {"dropped": 0, "added": 0}
        if not self.model.is_trained or IS_EVENT not in self.model.classes:
            return doc
        labels_of = entity_labels_by_token(doc)
        ents = list(doc.ents)
        if self.drop_below > 0:
            events = [e for e in ents if e.label_ == EVENT]
            if events:
                p = self.scores([e.root for e in events], labels_of)
                drop = {(e.start, e.end) for e, pe in zip(events, p) if pe < self.drop_below}
                ents = [e for e in ents if not (e.label_ == EVENT and (e.start, e.end) in drop)]
                self.last_changes["dropped"] = len(drop)
        if self.add_at <= 1:
            covered = {t.i for e in ents for t in e}
            toks = [t for t in doc if t.i not in covered and is_trigger_candidate(t)]
            p = self.scores(toks, labels_of)
            new = [Span(doc, t.i, t.i + 1, label=EVENT) for t, pt in zip(toks, p) if pt >= self.add_at]
            ents += new  # outside every entity, so nothing overlaps
            self.last_changes["added"] = len(new)
        doc.ents = sorted(ents, key=lambda s: s.start)
        return doc

    def initialize(self, get_examples: Callable[[], Iterable[Example]] | None = None, *,
                   nlp: Language | None = None,
                   documents: Optional[Callable[[Language], Iterable[Example]]] = None) -> None:
        """Fit on the training documents (``documents``: a reader of whole documents; default:
        spaCy's training examples), tagged and parsed by the components before this one."""
        self._initialize_args = (get_examples, {"documents": documents})
        self.fit(gold_training_docs(examples_for(get_examples, nlp, documents), nlp, self.name), seed=self.seed)

    def fit(self, docs: Iterable[Doc], seed: int | None = None) -> int:
        """Fit on Docs with gold entities (and tags/parse from the backbone): every verb or noun
        outside the non-EVENT entities is an example, positive when a gold EVENT covers it.
        Returns the number of examples; with none (a backbone without a tagger) the component stays
        untrained and leaves the NER's entities as they are."""
        feats, labels, dense = [], [], []
        for doc in docs:
            in_event = {t.i for e in doc.ents if e.label_ == EVENT for t in e}
            labels_of = entity_labels_by_token(doc)
            toks = [t for t in doc if t.i not in labels_of and is_trigger_candidate(t)]
            if not toks:
                continue
            feats += [trigger_features(t, labels_of) for t in toks]
            labels += [IS_EVENT if t.i in in_event else NOT_EVENT for t in toks]
            dense.append(trigger_dense(toks, self.vector_scale))
        self.n_examples = len(labels)
        if not labels:  # no tagger in this pipeline (or no verbs and nouns): nothing to verify with
            self.model = LinearModel()
            return 0
        with_vectors = dense and all(d is not None for d in dense)
        self.model = LinearModel().fit(feats, labels, c=self.c, seed=self.seed if seed is None else seed,
                                       dense=np.vstack(dense) if with_vectors else None)
        return len(labels)

    def learned(self) -> dict:
        return {"n_examples": self.n_examples}

    def set_learned(self, cfg: dict) -> None:
        self.n_examples = int(cfg.get("n_examples", 0))

    def score(self, examples: Iterable[Example], **kwargs) -> dict:
        """``event_triggers_p/r/f``: the EVENT entities after verification, matched exactly."""
        return Scorer.score_spans(examples, "event_triggers", getter=event_spans, labeled=False)


def event_spans(doc: Doc, attr: str = "event_triggers") -> list[Span]:
    return [e for e in doc.ents if e.label_ == EVENT]


@Language.factory("nkner_event_triggers", assigns=["doc.ents"], requires=["doc.ents", "token.tag", "token.dep"],
                  default_config={"drop_below": 0.25, "add_at": 0.5, "c": 1.0, "vector_scale": 0.15, "seed": 0},
                  default_score_weights={"event_triggers_f": 0.0, "event_triggers_p": None, "event_triggers_r": None})
def make_event_trigger_verifier(nlp: Language, name: str, drop_below: float, add_at: float, c: float,
                                vector_scale: float, seed: int) -> EventTriggerVerifier:
    return EventTriggerVerifier(nlp, name, drop_below=drop_below, add_at=add_at, c=c, vector_scale=vector_scale,
                                seed=seed)

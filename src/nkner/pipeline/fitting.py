"""What nkner's three scikit-learn components share: their training material, serialization and the
refit after spaCy's training loop.

The event-trigger verifier, the event typer and the relation extractor are fitted in one pass by
scikit-learn, in ``initialize(get_examples, nlp=...)`` like any spaCy component's learned state
(they have no ``update``, so ``spacy train`` leaves them alone during its loop).  Their examples are
the gold documents, annotated by the components that come before them in the pipeline and do not
set entities (sentences, tok2vec, tagger, parser), with the gold entities, event types and relations
on top: the features see the backbone's tags, parse and vectors, and the labels are the gold.

Learned state (the classifier's arrays and what was chosen from the gold, such as the relation
threshold) is saved through ``to_disk``/``to_bytes`` in two parts, ``cfg`` (JSON) and ``model``
(pickle-free arrays), honouring ``exclude``.  Settings live in the pipeline's config only.
"""
from __future__ import annotations

import json
import logging
from typing import Callable, Iterable

from spacy import util
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

import nkner.pipeline.extensions  # noqa: F401
from nkner.pipeline.linear import LinearModel

log = logging.getLogger(__name__)

#: what the gold provides; a component that assigns one of these is not run on the training Docs
GOLD_ATTRS = {"doc.ents", "span._.event_type", "doc._.relations"}


def config_float(value: float) -> float:
    """A float setting as written in the config: thinc reads config floats with srsly's ujson, which
    can be off in the last bit (0.3 -> 0.30000000000000004), so settings are rounded to 9 places."""
    return round(float(value), 9)


def gold_training_docs(examples: Iterable[Example | Doc], nlp: Language | None, before: str | None) -> list[Doc]:
    """The reference Docs of ``examples`` re-tokenized by ``nlp``, annotated by ``nlp``'s components
    that come before ``before`` and set none of :data:`GOLD_ATTRS` (frozen or disabled ones
    included), then given the gold entities, event types and relations.

    Entities are placed with ``char_span(alignment_mode="strict")``; those that do not align are
    counted and logged (the training gold is validated to have none)."""
    procs = []
    if nlp is not None:
        for name in nlp.component_names:
            if name == before:
                break
            if set(nlp.get_pipe_meta(name).assigns) & GOLD_ATTRS:
                continue
            procs.append(nlp.get_pipe(name))
    out, misaligned = [], 0
    for eg in examples:
        ref = getattr(eg, "reference", eg)  # an Example, or a gold Doc
        doc = nlp.make_doc(ref.text) if nlp is not None else ref.copy()
        for proc in procs:
            doc = proc(doc)
        ents = []
        for e in ref.ents:
            span = doc.char_span(e.start_char, e.end_char, label=e.label_, alignment_mode="strict")
            if span is None:
                misaligned += 1
                continue
            ents.append(span)
        doc.ents = ents
        event_types = {(e.start_char, e.end_char): e._.event_type for e in ref.ents}
        for span in doc.ents:
            span._.event_type = event_types.get((span.start_char, span.end_char))
        doc._.relations = list(ref._.relations or [])
        out.append(doc)
    if misaligned:
        log.warning("%s: %d gold entities do not align with the tokens and were skipped", before, misaligned)
    return out


def examples_for(get_examples: Callable[[], Iterable[Example]], nlp: Language | None,
                 documents: Callable[[Language], Iterable[Example]] | None) -> Iterable[Example]:
    """The examples to fit on: ``documents`` (a corpus reader, so whole documents even where the NER
    trains on sentences) when the config gives one, else spaCy's training examples."""
    if documents is not None:
        if nlp is None:
            raise ValueError("a documents reader needs the pipeline (initialize(..., nlp=nlp))")
        return documents(nlp)
    if get_examples is None:
        raise ValueError("initialize needs get_examples (or a documents reader in [initialize.components])")
    return get_examples()


class LinearComponent:
    """Serialization of a component holding a :class:`LinearModel` and learned JSON state."""

    name: str
    model: LinearModel

    def learned(self) -> dict:
        """Learned non-array state (chosen from the gold in ``initialize``), saved as ``cfg``."""
        return {}

    def set_learned(self, cfg: dict) -> None:
        pass

    def _set_model(self, model: LinearModel) -> None:
        self.model = model

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        # the standard json module: srsly's ujson rounds floats (0.6 -> 0.6000000000000001)
        return util.to_bytes({"cfg": lambda: json.dumps(self.learned(), sort_keys=True).encode("utf-8"),
                              "model": self.model.to_bytes}, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()):
        util.from_bytes(bytes_data, {"cfg": lambda b: self.set_learned(json.loads(b)),
                                     "model": lambda b: self._set_model(LinearModel.from_bytes(b))}, exclude)
        return self

    def to_disk(self, path, *, exclude: Iterable[str] = tuple()) -> None:
        path = util.ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        util.to_disk(path, {"cfg": lambda p: p.write_text(json.dumps(self.learned(), indent=1, sort_keys=True)
                                                          + "\n", encoding="utf-8"),
                            "model": lambda p: self.model.to_disk(p)}, exclude)

    def from_disk(self, path, *, exclude: Iterable[str] = tuple()):
        util.from_disk(path, {"cfg": lambda p: self.set_learned(json.loads(p.read_text(encoding="utf-8"))),
                              "model": lambda p: self._set_model(LinearModel.from_disk(p))}, exclude)
        return self


@util.registry.callbacks("nkner.refit_linear_components.v1")
def make_refit_linear_components() -> Callable[[Language], Language]:
    """``[training.before_to_disk]`` for backbones whose shared tok2vec is trained by spaCy's loop
    (sm, smlite, scratch, trf): the components fitted in ``initialize`` saw the tok2vec's vectors
    before training, so they are fitted again, on the same examples, with the trained one, before
    the pipeline is written.  Backbones with a frozen tok2vec (smner) do not need it."""
    def refit(nlp: Language) -> Language:
        for name, proc in nlp.components:
            if isinstance(proc, LinearComponent) and getattr(proc, "_initialize_args", None):
                get_examples, kwargs = proc._initialize_args
                proc.initialize(get_examples, nlp=nlp, **kwargs)
        return nlp
    return refit

"""The project's canonical tokenization and sentence segmentation, for the corpus tools.

Gold validation ("relations within one sentence", token alignment), the doccano tooling, the
conversions and the trained pipeline all use these boundaries: the pipeline's tokenizer and
sentence splitter (:mod:`nkner.pipeline.segmentation`), here without the rest of a pipeline.
"""
from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import nkner.pipeline.segmentation  # noqa: F401  (registers nkner.Tokenizer.v1 and nkner_sentences)


@lru_cache(maxsize=1)
def segmenter() -> Language:
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "nkner.Tokenizer.v1"}}})
    nlp.add_pipe("nkner_sentences")
    return nlp


def make_doc(text: str) -> Doc:
    return segmenter()(text)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each sentence, whitespace trimmed, empty ones dropped."""
    out = []
    for sent in make_doc(text).sents:
        s = sent.text
        lead = len(s) - len(s.lstrip())
        body = s.strip()
        if body:
            start = sent.start_char + lead
            out.append((start, start + len(body)))
    return out

"""The pipeline's tokenizer and sentence splitter: the canonical segmentation of nkner.

Every trained pipeline starts with them (``[nlp.tokenizer]`` ``nkner.Tokenizer.v1`` and the
``nkner_sentences`` component in configs/*.cfg), and the corpus tools segment the gold the same way
(:mod:`nkner.corpus.segment`): spaCy's English tokenizer with a few domain rules, and a rule-based
sentence splitter that also breaks at every line break (headings, list items and reference entries
are never joined to the following text).
"""
from __future__ import annotations

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry

SENT_END = {".", "!", "?", "…"}
CLOSERS = {"”", "’", "\"", "'", ")", "]"}


def _is_footnote_marker(doc: Doc, i: int) -> bool:
    tok = doc[i]
    return (i > 0 and tok.is_digit and len(tok.text) <= 2 and not doc[i - 1].whitespace_
            and (doc[i - 1].is_punct or doc[i - 1].text in CLOSERS))


@Language.component("nkner_sentences", assigns=["token.is_sent_start"])
def nkner_sentences(doc: Doc) -> Doc:
    """Sentence starts after line breaks and after sentence-final punctuation (plus closing quotes)."""
    if not len(doc):
        return doc
    texts = [t.text for t in doc]
    spaces = [t.whitespace_ for t in doc]
    starts = [1] * len(doc)
    for i in range(1, len(doc)):
        prev, prev_ws, text = texts[i - 1], spaces[i - 1], texts[i]
        if "\n" in prev or "\n" in prev_ws:
            start = True
        elif text.isspace() or not prev_ws or _is_footnote_marker(doc, i - 1):
            # a footnote marker glued to the sentence end ("upon return.8 The") keeps the two
            # sentences together, as the annotation's sentence indices were first defined
            start = False
        else:
            j = i - 1  # skip closing quotes and brackets back to the sentence-final punctuation
            while j > 0 and texts[j] in CLOSERS:
                j -= 1
            start = texts[j] in SENT_END and (text[:1].isupper() or text[:1].isdigit()
                                              or text[:1] in "“\"‘'(*•")
        starts[i] = 1 if start else -1
    # one array write instead of a Token object and a property call per token
    doc.from_array([SENT_START], numpy.array(starts, dtype=numpy.int64).view(numpy.uint64).reshape(-1, 1))
    return doc


#: Tokenizer exceptions of spaCy's English defaults that collide with this domain's text: emoticons
#: such as "8)" would swallow the closing parenthesis in reference entries like "(2025, July 8).".
DROPPED_EXCEPTIONS = ("8)", "8-)", "(8", "(-8")


#: List bullets glued to the first word ("•UNHCR"), footnote markers glued after sentence
#: punctuation ("upon return.8", "despair,”1") and source labels after a parenthesis.
EXTRA_PREFIXES = ["•"]
EXTRA_SUFFIXES = [r"(?<=[”’\"])\d{1,2}"]
EXTRA_INFIXES = [r"(?<=[a-z])[.,](?=\d{1,2}\b)", r"(?<=[a-z]\))(?=[a-z])",
                 # a bracketed citation marker glued to a word or its punctuation ("education.[1]", "Sieff[12]")
                 r"(?<=[A-Za-z0-9])[.,;:]?(?=\[\d{1,3}(?:\]|$|\D))", r"\[(?=\d{1,3}(?:\]|$|\D))"]


@registry.tokenizers("nkner.Tokenizer.v1")
def create_tokenizer():
    """spaCy's English tokenizer without the exceptions in :data:`DROPPED_EXCEPTIONS`."""
    def make(nlp: Language):
        from spacy.tokenizer import Tokenizer
        from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

        defaults = nlp.Defaults
        rules = {k: v for k, v in (defaults.tokenizer_exceptions or {}).items() if k not in DROPPED_EXCEPTIONS}
        return Tokenizer(nlp.vocab, rules=rules,
                         prefix_search=compile_prefix_regex(list(defaults.prefixes) + EXTRA_PREFIXES).search,
                         suffix_search=compile_suffix_regex(list(defaults.suffixes) + EXTRA_SUFFIXES).search,
                         infix_finditer=compile_infix_regex(list(defaults.infixes) + EXTRA_INFIXES).finditer,
                         token_match=defaults.token_match, url_match=defaults.url_match)
    return make

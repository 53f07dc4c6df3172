"""Features for event typing and relation extraction (shared by training and the components).

Features use the token's lemma when a lemmatizer ran, and dependency labels when a parser ran, so
the same code serves every backbone; missing annotation simply yields fewer features.  Where the
backbone's shared tok2vec wrote contextual vectors to ``doc.tensor``, they are added as a dense
block (scaled, because the classifiers' L2 penalty treats every column alike); a Doc without them
gets zeros there.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from spacy.tokens import Doc, Span, Token

from nkner.schema import RELATION_TYPES
from nkner.vocab import CLAUSE_DASHES

#: punctuation that separates clauses or sets off a parenthesis between a relation's two spans
_CLAUSE_PUNCT = (";", "(", ")", ":", *CLAUSE_DASHES)

CONTEXT = 3


def _lemma(tok: Token) -> str:
    return (tok.lemma_ or tok.lower_).lower() if tok.lemma_ else tok.lower_


def _pos(tok: Token) -> str:
    """Coarse part of speech: spaCy's POS when an attribute ruler ran, else from the fine tag."""
    if tok.pos_:
        return tok.pos_
    tag = tok.tag_
    if not tag:
        return ""
    if tag.startswith("VB"):
        return "VERB"
    if tag.startswith("NN"):
        return "PROPN" if tag.startswith("NNP") else "NOUN"
    if tag.startswith("JJ"):
        return "ADJ"
    if tag.startswith("RB"):
        return "ADV"
    return tag


def _stem(word: str) -> str:
    return word[:6] if len(word) > 6 else word


@lru_cache(maxsize=1)
def _lexicon_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """One regex per event type: any of its trigger stems at the start of the text or after a space."""
    from nkner.pipeline.rules import EVENT_LEXICON

    return tuple((etype, re.compile("(?:^| )(?:" + "|".join(map(re.escape, stems)) + ")"))
                 for etype, stems in EVENT_LEXICON.items() if stems)


@lru_cache(maxsize=65536)
def _lexicon_types(text: str) -> frozenset[str]:
    """Event types whose hand-written trigger stems (nkner.pipeline.rules.EVENT_LEXICON) occur in text
    (at its start or after a space)."""
    low = text.lower()
    return frozenset(etype for etype, pattern in _lexicon_patterns() if pattern.search(low))


def event_features(span: Span) -> dict[str, float]:
    """Lexical and contextual features of an EVENT span, for its event type."""
    doc = span.doc
    f: dict[str, float] = {"bias": 1.0, f"text={span.text.lower()}": 1.0}
    for etype in _lexicon_types(span.text):
        f[f"lexicon={etype}"] = 2.0
    for tok in span:
        f[f"w={tok.lower_}"] = 1.0
        f[f"stem={_stem(tok.lower_)}"] = 1.0
        f[f"lemma={_lemma(tok)}"] = 1.0
    root = span.root
    f[f"root={_lemma(root)}"] = 1.0
    f[f"root_suffix={root.lower_[-3:]}"] = 1.0
    if _pos(root):
        f[f"pos={_pos(root)}"] = 1.0
    sent = span.sent if doc.has_annotation("SENT_START") else doc[:]
    for i in range(max(sent.start, span.start - CONTEXT), span.start):
        f[f"left={doc[i].lower_}"] = 0.5
        f[f"left_stem={_stem(doc[i].lower_)}"] = 0.5
    for i in range(span.end, min(sent.end, span.end + CONTEXT)):
        f[f"right={doc[i].lower_}"] = 0.5
        f[f"right_stem={_stem(doc[i].lower_)}"] = 0.5
    if root.dep_:
        f[f"dep={root.dep_}"] = 1.0
        f[f"head={_lemma(root.head)}"] = 0.5
        for child in root.children:
            if child.dep_ in ("dobj", "nsubj", "nsubjpass", "pobj", "prep", "agent"):
                f[f"child={child.dep_}:{_lemma(child)}"] = 0.5
    return f


def token_vectors(doc: Doc) -> np.ndarray | None:
    """The contextual token vectors the backbone's tok2vec wrote to ``doc.tensor``, if any."""
    t = doc.tensor
    if t is None or t.ndim != 2 or t.shape[0] != len(doc) or not t.shape[1]:
        return None
    return t


# ------------------------------------------------------------------------------------------------
# event triggers: is this token (part of) an EVENT?

#: coarse tags of the tokens the trigger verifier considers (verbs and nouns)
TRIGGER_TAGS = ("VB", "NN")


def is_trigger_candidate(tok: Token) -> bool:
    """A verb or noun made of letters: the shape of a minimal EVENT span's head word."""
    return tok.is_alpha and tok.tag_[:2] in TRIGGER_TAGS


def entity_labels_by_token(doc: Doc, skip: tuple[str, ...] = ("EVENT",)) -> dict[int, str]:
    """Token index -> label of the entity covering it (entities with a label in ``skip`` left out)."""
    return {t.i: e.label_ for e in doc.ents if e.label_ not in skip for t in e}


def trigger_features(tok: Token, labels_of: dict[int, str]) -> dict[str, float]:
    """The word, its tag and dependency, its neighbours, and which entities are its arguments
    (``labels_of``: token index -> entity label, from :func:`entity_labels_by_token`)."""
    doc = tok.doc
    f = {"bias": 1.0, f"w={tok.lower_}": 1.0, f"stem={_stem(tok.lower_)}": 1.0,
         f"suf={tok.lower_[-3:]}": 1.0, f"tag={tok.tag_}": 1.0, f"dep={tok.dep_}": 1.0,
         f"head={tok.head.lower_}": 0.5, f"headtag={tok.head.tag_}": 0.5,
         f"prev={doc[tok.i - 1].lower_ if tok.i else '^'}": 0.5,
         f"next={doc[tok.i + 1].lower_ if tok.i + 1 < len(doc) else '$'}": 0.5,
         f"headent={labels_of.get(tok.head.i) or '-'}:{tok.dep_}": 0.5}
    for etype in _lexicon_types(tok.text):
        f[f"lex={etype}"] = 1.0
    for child in tok.children:
        f[f"child={child.dep_}:{labels_of.get(child.i) or '-'}"] = 0.5
        if child.dep_ in ("prep", "agent"):
            for grandchild in child.children:
                if grandchild.dep_ == "pobj":
                    f[f"gchild={child.lower_}:{labels_of.get(grandchild.i) or '-'}"] = 0.5
    return f


def trigger_dense(tokens: list[Token], scale: float, width: int | None = None) -> np.ndarray | None:
    """Scaled contextual vectors of ``tokens`` (all from one Doc).  ``width`` is the backbone's
    vector width, for a Doc without vectors (zeros); None when unknown."""
    if not tokens or not scale:
        return None
    vecs = token_vectors(tokens[0].doc)
    if vecs is None:
        return None if width is None else np.zeros((len(tokens), width), dtype=np.float32)
    return vecs[[t.i for t in tokens]] * scale


#: (head label, tail label) -> allowed relation types
ALLOWED: dict[tuple[str, str], list[str]] = {}
for _rel in RELATION_TYPES:
    for _h in _rel.heads:
        for _t in _rel.tails:
            ALLOWED.setdefault((_h, _t), []).append(_rel.name)


def _sent_starts(doc: Doc, ents: list[Span]) -> list[int]:
    """The start token of each entity's sentence (0 for all when the Doc has no sentences)."""
    if not doc.has_annotation("SENT_START"):
        return [0] * len(ents)
    return [e.sent.start for e in ents]


class PairContext:
    """Per-Doc facts that candidate generation and every pair's features need, computed once
    (``doc.ents`` builds new Spans on every access)."""

    def __init__(self, doc: Doc):
        self.ents = list(doc.ents)
        self.sent_of = {(e.start, e.end): s for e, s in zip(self.ents, _sent_starts(doc, self.ents))}
        #: sentence start -> the entities of that sentence, in order
        self.sent_ents: dict[int, list[Span]] = {}
        for e in self.ents:
            self.sent_ents.setdefault(self.sent_of[(e.start, e.end)], []).append(e)


def candidate_pairs(doc: Doc, max_distance: int = 60,
                    ctx: PairContext | None = None) -> list[tuple[Span, Span]]:
    """Ordered (head, tail) entity pairs within one sentence that some relation type allows."""
    ctx = ctx or PairContext(doc)
    pairs = []
    for sent_ents in ctx.sent_ents.values():
        for h in sent_ents:
            for t in sent_ents:
                if h is t or (h.label_, t.label_) not in ALLOWED:
                    continue
                if abs(h.start - t.start) > max_distance:
                    continue
                pairs.append((h, t))
    return pairs


def _dep_path(a: Token, b: Token, max_len: int = 4) -> str | None:
    """Dependency labels up from a to the lowest common ancestor and down to b (None if too long)."""
    anc_a = [a] + list(a.ancestors)
    anc_b = [b] + list(b.ancestors)
    ids_b = {t.i: n for n, t in enumerate(anc_b)}
    for n, t in enumerate(anc_a):
        if t.i in ids_b:
            up = [x.dep_ for x in anc_a[:n]]
            down = [x.dep_ for x in anc_b[:ids_b[t.i]]]
            if len(up) + len(down) > max_len:
                return None
            return "/".join(up) + "^" + "/".join(reversed(down))
    return None


def relation_dense(pairs: list[tuple[Span, Span]], scale: float, width: int | None = None) -> np.ndarray | None:
    """One dense row per pair (all from one Doc): the contextual vectors of the head's and the tail's
    root and the mean vector of the tokens between them (zeros when adjacent), times ``scale``.
    ``width`` is the backbone's vector width, for a Doc without vectors (zeros); None when unknown."""
    if not scale:
        return None
    vecs = token_vectors(pairs[0][0].doc) if pairs else None
    if vecs is None:
        return None if width is None else np.zeros((len(pairs), 3 * width), dtype=np.float32)
    w = vecs.shape[1]
    out = np.zeros((len(pairs), 3 * w), dtype=np.float32)
    for n, (h, t) in enumerate(pairs):
        out[n, :w] = vecs[h.root.i]
        out[n, w:2 * w] = vecs[t.root.i]
        lo, hi = (h.end, t.start) if h.start < t.start else (t.end, h.start)
        if hi > lo:
            out[n, 2 * w:] = vecs[lo:hi].mean(axis=0)
    return out * scale


def relation_features(head: Span, tail: Span, event_type: str | None = None,
                      ctx: PairContext | None = None) -> dict[str, float]:
    doc = head.doc
    ctx = ctx or PairContext(doc)
    f: dict[str, float] = {"bias": 1.0}
    pair = f"{head.label_}>{tail.label_}"
    f[f"pair={pair}"] = 1.0
    before = head.start < tail.start
    f[f"order={pair}:{'ht' if before else 'th'}"] = 1.0
    lo, hi = (head.end, tail.start) if before else (tail.end, head.start)
    dist = max(0, hi - lo)
    bucket = "0" if dist == 0 else "1-2" if dist <= 2 else "3-5" if dist <= 5 else "6-10" if dist <= 10 else "11+"
    f[f"dist={pair}:{bucket}:{'ht' if before else 'th'}"] = 1.0
    between = doc[lo:hi]
    head_sent = ctx.sent_of[(head.start, head.end)]
    sent_ents = ctx.sent_ents[head_sent]  # the tokens between head and tail lie in their sentence
    ents_between = [e for e in sent_ents if e.start >= lo and e.end <= hi]
    f[f"ents_between={min(len(ents_between), 3)}"] = 1.0
    same_label_between = sum(1 for e in ents_between if e.label_ == tail.label_)
    f[f"tail_label_between={pair}:{min(same_label_between, 2)}"] = 1.0
    if any(e.label_ == "EVENT" for e in ents_between):
        f[f"event_between={pair}"] = 1.0
    for tok in list(between)[:10]:
        f[f"btw={pair}:{tok.lower_}"] = 0.5
    for tok in between:
        if tok.lower_ in ("by", "from", "to", "in", "into", "of", "since", "under", "against", "on",
                          "across", "at", "during", "after", "before", "for", "with", "back"):
            f[f"btw_prep={pair}:{tok.lower_}:{'ht' if before else 'th'}"] = 1.0
        if tok.text in _CLAUSE_PUNCT:
            f[f"btw_punct={tok.text}"] = 1.0
    if tail.start > 0:
        f[f"tail_prev={pair}:{doc[tail.start - 1].lower_}"] = 1.0
    if tail.end < len(doc):
        f[f"tail_next={pair}:{doc[tail.end].lower_}"] = 0.5
    if head.start > 0:
        f[f"head_prev={pair}:{doc[head.start - 1].lower_}"] = 0.5
    if head.end < len(doc):
        f[f"head_next={pair}:{doc[head.end].lower_}"] = 0.5
    f[f"head_root={pair}:{_lemma(head.root)}"] = 1.0
    f[f"tail_root={pair}:{tail.root.lower_}"] = 0.5
    # is the tail the nearest entity of its label on its side of the head? (most arguments are)
    same = [e for e in sent_ents if e.label_ == tail.label_ and e != tail and ((e.start > head.start) == before)]
    nearer = sum(1 for e in same if abs(e.start - head.start) < abs(tail.start - head.start))
    f[f"rank={pair}:{'ht' if before else 'th'}:{min(nearer, 3)}"] = 1.0
    clause = sum(1 for tok in between if tok.lower_ in ("which", "who", "that", "while", "whereas", "but",
                                                       "although", "because") or tok.text in (";", ":"))
    f[f"clause={pair}:{min(clause, 2)}"] = 1.0
    if any(_pos(tok) == "VERB" for tok in between):
        f[f"verb_between={pair}"] = 1.0
    if event_type:
        f[f"etype={pair}:{event_type}"] = 1.0
        f[f"etype_order={pair}:{event_type}:{'ht' if before else 'th'}"] = 1.0
    if head.root.dep_:
        path = _dep_path(head.root, tail.root)
        if path is not None:
            f[f"path={pair}:{path}"] = 1.0
        else:
            f[f"path={pair}:far"] = 1.0
        f[f"tail_dep={pair}:{tail.root.dep_}"] = 0.5
        if tail.root.head.i == head.root.i:
            f[f"tail_child_of_head={pair}:{tail.root.dep_}"] = 1.0
    return f

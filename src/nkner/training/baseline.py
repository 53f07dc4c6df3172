"""The evaluation's rules-only baseline: hand-written patterns and heuristics, nothing learned.

Entity patterns (spaCy ``EntityRuler``) for the six labels, built on the shipped pipeline's NUMBER
patterns and event-trigger lexicon (:mod:`nkner.pipeline.rules`) and the shared vocabulary
(:mod:`nkner.vocab`); countries after a locative preposition as LOCATION; and nearest-neighbour
relation heuristics within a sentence.  The patterns were written from the specification and
general knowledge of the domain, not fitted to the gold.  ``nkner evaluate`` scores it beside the
trained pipelines (the "rules only" row of docs/evaluation.md).
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

import nkner.pipeline.extensions  # noqa: F401
from nkner.corpus.store import Document
from nkner.pipeline.rules import DASH, DECADE, EVENT_LEXICON, YEAR, number_patterns
from nkner.training.evaluate import Prediction
from nkner.vocab import MONTH_WORDS

COUNTRIES = ["China", "North Korea", "South Korea", "Russia", "Mongolia", "Vietnam", "Laos", "Thailand",
             "Myanmar", "Japan", "United States", "DPRK", "ROK", "PRC", "Cambodia"]
CAPITALS = ["Beijing", "Pyongyang", "Seoul", "Moscow", "Washington"]
PLACES = ["Jilin", "Liaoning", "Yanbian", "Tumen", "Yalu", "Dandong", "Shenyang", "Hyesan", "Sinuiju",
          "North Hamgyong", "Ryanggang", "Manchuria", "Korean Peninsula"]
ORGS = ["UNHCR", "UN", "United Nations", "Human Rights Watch", "Amnesty International", "COI",
        "UN Human Rights Council", "Human Rights Council", "UN General Assembly", "General Assembly",
        "UNGA", "Commission of Inquiry", "UN Commission of Inquiry", "Security Council", "HRNK",
        "Ministry of Unification", "Ministry of People's Security", "Ministry of State Security",
        "Workers' Party of Korea", "Reuters", "UN Refugee Agency"]
GROUPS = ["refugees", "escapees", "defectors", "migrants", "returnees", "women", "children", "brokers",
          "traffickers", "border guards", "police", "authorities", "government", "officials", "regime",
          "North Koreans", "workers", "fishermen", "detainees", "asylum-seekers", "asylum seekers"]
NATIONALITY = ["North Korean", "South Korean", "Chinese", "Russian", "Korean"]
INSTRUMENT_HEADS = ["Convention", "Protocol", "Agreement", "Law", "Treaty", "Resolution", "Covenant"]


def _phrase(text: str, label: str) -> dict:
    return {"label": label, "pattern": [{"ORTH": w} for w in text.split()]}


def patterns() -> list[dict]:
    """EntityRuler patterns for the six labels (events with their type as the pattern id)."""
    pats: list[dict] = []
    for org in ORGS:
        pats.append(_phrase(org, "ACTOR"))
    for g in GROUPS:
        pats.append({"label": "ACTOR", "pattern": [{"LOWER": w} for w in g.split()]})
        for nat in NATIONALITY:
            pats.append({"label": "ACTOR", "pattern": [{"ORTH": w} for w in nat.split()] +
                         [{"LOWER": w} for w in g.split()]})
    for c in COUNTRIES + CAPITALS:
        pats.append(_phrase(c, "ACTOR"))
    for p in PLACES:
        pats.append(_phrase(p, "LOCATION"))
    for head in INSTRUMENT_HEADS:
        pats.append({"label": "LEGAL_INSTRUMENT", "pattern": [{"SHAPE": "dddd", "OP": "?"},
                                                              {"IS_TITLE": True, "OP": "*"}, {"ORTH": head},
                                                              {"LOWER": {"IN": ["of", "against", "relating", "related"]}, "OP": "?"},
                                                              {"IS_TITLE": True, "OP": "*"}]})
    pats.append({"label": "LEGAL_INSTRUMENT", "pattern": [{"ORTH": "Article"}, {"IS_DIGIT": True}]})
    pats += [
        {"label": "DATE", "pattern": [{"ORTH": {"IN": list(MONTH_WORDS)}}, {"IS_DIGIT": True, "OP": "?"},
                                      {"ORTH": ",", "OP": "?"}, YEAR]},
        {"label": "DATE", "pattern": [YEAR, DASH, YEAR]},
        {"label": "DATE", "pattern": [DECADE]},
        {"label": "DATE", "pattern": [{"LOWER": {"IN": ["early", "mid", "late"]}}, YEAR]},
        {"label": "DATE", "pattern": [YEAR]},
    ]
    pats += number_patterns()
    for etype, stems in EVENT_LEXICON.items():
        for stem in stems:
            words = stem.split()
            if len(words) == 1:
                pats.append({"label": "EVENT", "id": etype,
                             "pattern": [{"LOWER": {"IN": ["forcibly", "forced", "mass", "public"]}, "OP": "?"},
                                         {"LOWER": {"REGEX": f"^{words[0]}"}}]})
            else:
                pats.append({"label": "EVENT", "id": etype, "pattern": [{"LOWER": {"REGEX": f"^{w}"}} for w in words]})
    return pats


@Language.component("nkner_rule_roles", assigns=["doc.ents", "span._.event_type", "doc._.relations"])
def rule_roles(doc: Doc) -> Doc:
    """Countries after a locative preposition become LOCATION; EVENT types from the lexicon match;
    relations by proximity within the sentence."""
    ents = []
    for e in doc.ents:
        if e.label_ == "ACTOR" and e.text in COUNTRIES and e.start > 0 and \
                doc[e.start - 1].lower_ in ("in", "to", "from", "into", "across", "within", "inside", "near"):
            e = doc.char_span(e.start_char, e.end_char, label="LOCATION")
        ents.append(e)
    doc.ents = ents
    for e in doc.ents:
        if e.label_ == "EVENT":
            e._.event_type = e.ent_id_ or "abuse"
    rels = []
    for sent in doc.sents:
        se = [e for e in doc.ents if e.start >= sent.start and e.end <= sent.end]
        for ev in (e for e in se if e.label_ == "EVENT"):
            before = [e for e in se if e.label_ == "ACTOR" and e.end <= ev.start]
            after = [e for e in se if e.label_ == "ACTOR" and e.start >= ev.end]
            if before:
                rels.append((ev, before[-1], "agent"))
            if after:
                rels.append((ev, after[0], "affected"))
            for lab, rtype in (("DATE", "time"), ("LOCATION", "place"), ("LEGAL_INSTRUMENT", "instrument")):
                cands = [e for e in se if e.label_ == lab]
                if cands:
                    near = min(cands, key=lambda c: abs(c.start - ev.start))
                    rels.append((ev, near, rtype))
        for num in (e for e in se if e.label_ == "NUMBER"):
            nxt = [e for e in se if e.label_ in ("ACTOR", "EVENT") and 0 <= e.start - num.end <= 3]
            if nxt:
                rels.append((num, nxt[0], "quantity"))
    doc._.relations = [{"head": [h.start_char, h.end_char], "tail": [t.start_char, t.end_char], "type": r,
                        "score": 1.0} for h, t, r in rels]
    return doc


def build_rules_nlp() -> Language:
    """The rules-only system: the project's tokenizer and sentences, the patterns, the roles."""
    import spacy

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "nkner.Tokenizer.v1"}}})
    nlp.add_pipe("nkner_sentences")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(patterns())
    nlp.add_pipe("nkner_rule_roles")
    return nlp


def rules_predictor():
    """The baseline as a predictor for :func:`nkner.training.evaluate.evaluate_predictor`."""
    nlp = build_rules_nlp()

    def predict(doc: Document):
        sdoc = nlp(doc.text)
        return Prediction([(e.start_char, e.end_char, e.label_, e._.event_type) for e in sdoc.ents],
                          [(tuple(r["head"]), tuple(r["tail"]), r["type"]) for r in sdoc._.relations]), None
    return predict

"""The normalizer's dateline rule (guidelines 9.1) on Docs built by hand: a dateline's place is a
LOCATION without relations, also when the NER read it together with the report's first words as one
entity ("Seoul - Chinese authorities"): the rest keeps its label and its relations."""
from __future__ import annotations

import spacy
from spacy.tokens import Span

from nkner.pipeline.normalizer import Normalizer


def doc_with(text: str, ents: list[tuple[str, str]], relations: list[tuple[str, str, str]] = ()):
    nlp = spacy.blank("en")
    doc = nlp(text)
    spans = []
    for phrase, label in ents:
        a = text.index(phrase)
        spans.append(doc.char_span(a, a + len(phrase), label=label, alignment_mode="strict"))
    doc.ents = spans
    find = {p: (text.index(p), text.index(p) + len(p)) for p, _ in ents}
    doc._.relations = [{"head": list(find[h]), "tail": list(find[t]), "type": ty} for h, t, ty in relations]
    return doc


def test_an_entity_that_swallowed_the_dateline_is_split_and_keeps_its_relations():
    text = "Returns\n\nSeoul - Chinese authorities deported 60 North Koreans in Jilin."
    doc = doc_with(text, [("Seoul - Chinese authorities", "ACTOR"), ("deported", "EVENT"), ("Jilin", "LOCATION")],
                   [("deported", "Seoul - Chinese authorities", "agent"), ("deported", "Jilin", "place")])
    doc = Normalizer(None)(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("Seoul", "LOCATION"), ("Chinese authorities", "ACTOR"),
                                                      ("deported", "EVENT"), ("Jilin", "LOCATION")]
    got = {(text[slice(*r["head"])], text[slice(*r["tail"])], r["type"]) for r in doc._.relations}
    assert got == {("deported", "Chinese authorities", "agent"), ("deported", "Jilin", "place")}


def test_a_dateline_with_date_and_agency_keeps_only_the_reports_words():
    text = "SEOUL, March 12, 2025 (Yonhap) -- South Korea said on Monday it would protest."
    doc = doc_with(text, [("SEOUL, March 12, 2025 (Yonhap) -- South Korea", "ACTOR"), ("protest", "EVENT")],
                   [("protest", "SEOUL, March 12, 2025 (Yonhap) -- South Korea", "agent")])
    doc = Normalizer(None)(doc)
    labels = [(e.text, e.label_) for e in doc.ents]
    assert ("SEOUL", "LOCATION") in labels and ("South Korea", "ACTOR") in labels
    assert [(text[slice(*r["tail"])], r["type"]) for r in doc._.relations] == [("South Korea", "agent")]


def test_a_dateline_place_read_as_an_actor_becomes_a_location_without_relations():
    text = "Seoul - Chinese police detained 20 people."
    doc = doc_with(text, [("Seoul", "ACTOR"), ("Chinese police", "ACTOR"), ("detained", "EVENT")],
                   [("detained", "Seoul", "place"), ("detained", "Chinese police", "agent")])
    doc = Normalizer(None)(doc)
    assert [(e.text, e.label_) for e in doc.ents][0] == ("Seoul", "LOCATION")
    assert [(text[slice(*r["tail"])], r["type"]) for r in doc._.relations] == [("Chinese police", "agent")]

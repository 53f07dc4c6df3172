"""Facts assembly follows the extraction contract (no model needed: Docs are built by hand)."""
from __future__ import annotations

from nkner.corpus.segment import make_doc
from nkner.extract.facts import doc_objects
import nkner.pipeline.extensions  # noqa: F401

TEXT = ("Chinese authorities deported up to 600 North Koreans in October 2023. "
        "China is a party to the 1951 Refugee Convention. 34,000 defectors live in Seoul.")


def span(doc, text, label, nth=1):
    start = -1
    for _ in range(nth):
        start = doc.text.index(text, start + 1)
    return doc.char_span(start, start + len(text), label=label, alignment_mode="strict")


def build():
    doc = make_doc(TEXT)
    a = span(doc, "Chinese authorities", "ACTOR")
    ev = span(doc, "deported", "EVENT")
    num = span(doc, "up to 600", "NUMBER")
    nk = span(doc, "North Koreans", "ACTOR")
    date = span(doc, "October 2023", "DATE")
    china = span(doc, "China", "ACTOR")
    conv = span(doc, "1951 Refugee Convention", "LEGAL_INSTRUMENT")
    n2 = span(doc, "34,000", "NUMBER")
    defectors = span(doc, "defectors", "ACTOR")
    seoul = span(doc, "Seoul", "LOCATION")
    doc.ents = [a, ev, num, nk, date, china, conv, n2, defectors, seoul]
    ents = {e.text: e for e in doc.ents}
    ents["deported"]._.event_type = "repatriation"
    ents["deported"]._.event_score = 0.9
    ents["Chinese authorities"]._.canonical = "China"
    ents["up to 600"]._.norm = {"value": 600, "qualifier": "at_most"}
    ents["October 2023"]._.norm = {"iso": "2023-10"}

    def rel(h, t, typ, score=0.8):
        return {"head": [ents[h].start_char, ents[h].end_char], "tail": [ents[t].start_char, ents[t].end_char],
                "type": typ, "score": score}
    doc._.relations = [rel("deported", "Chinese authorities", "agent"), rel("deported", "North Koreans", "affected"),
                       rel("deported", "October 2023", "time"), rel("up to 600", "North Koreans", "quantity"),
                       rel("China", "1951 Refugee Convention", "party_to"), rel("34,000", "defectors", "quantity")]
    return doc


def test_entities_carry_offsets_text_and_normalization():
    entities, _, _ = doc_objects(build(), offset=100)
    by_text = {e["text"]: e for e in entities}
    assert by_text["up to 600"] == {"start": 100 + TEXT.index("up to 600"), "end": 100 + TEXT.index("up to 600") + 9,
                                    "label": "NUMBER", "text": "up to 600", "value": 600, "qualifier": "at_most"}
    assert by_text["October 2023"]["iso"] == "2023-10"
    assert by_text["Chinese authorities"]["canonical"] == "China"
    assert by_text["deported"]["event_type"] == "repatriation"


def test_fact_arguments_count_and_statements():
    _, facts, statements = doc_objects(build())
    assert len(facts) == 1
    f = facts[0]
    assert f["event_type"] == "repatriation" and f["trigger"]["text"] == "deported"
    assert [a["text"] for a in f["agent"]] == ["Chinese authorities"] and f["agent"][0]["canonical"] == "China"
    assert f["affected"][0]["text"] == "North Koreans"
    assert f["affected"][0]["count"]["text"] == "up to 600" and f["affected"][0]["count"]["value"] == 600
    assert f["time"][0]["iso"] == "2023-10" and f["place"] == [] and f["instrument"] == []
    assert TEXT[f["sentence"]["start"]:f["sentence"]["end"]].startswith("Chinese authorities deported")
    assert f["confidence"] == round((0.9 + 0.8 * 3) / 4, 3)
    # party_to, and a quantity whose actor is in no fact, are statements
    assert sorted(s["relation"] for s in statements) == ["party_to", "quantity"]
    q = next(s for s in statements if s["relation"] == "quantity")
    assert (q["from"]["text"], q["to"]["text"]) == ("34,000", "defectors")


def test_quantity_on_an_event_is_the_facts_count():
    doc = make_doc("Over 8,200 repatriations were documented.")
    num, ev = span(doc, "Over 8,200", "NUMBER"), span(doc, "repatriations", "EVENT")
    doc.ents = [num, ev]
    doc._.relations = [{"head": [num.start_char, num.end_char], "tail": [ev.start_char, ev.end_char],
                        "type": "quantity", "score": 0.7}]
    _, facts, statements = doc_objects(doc)
    assert facts[0]["count"]["text"] == "Over 8,200" and statements == []

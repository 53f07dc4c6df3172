"""The pattern rules that run before the NER: NUMBER and DATE forms the NER splits or misses."""
from __future__ import annotations

import pytest

from nkner.corpus.segment import segmenter
from nkner.pipeline.rules import PatternRules


@pytest.fixture(scope="module")
def rules():
    return PatternRules(segmenter(), labels=("NUMBER", "DATE"))


def ents(rules, text):
    doc = rules(segmenter()(text))
    return [(e.text, e.label_) for e in doc.ents]


@pytest.mark.parametrize("text,expected", [
    ("More than 34,000 North Koreans fled.", [("More than 34,000", "NUMBER")]),
    ("Up to 600 were sent back; 70-80% were women.", [("Up to 600", "NUMBER"), ("70-80%", "NUMBER")]),
    ("tens of thousands fled, aged 15 to 23, costing $105 million.",
     [("tens of thousands", "NUMBER"), ("15 to 23", "NUMBER"), ("$105 million", "NUMBER")]),
    ("(2025, October 15). Adopted in December 1979 and on September 25, 2015.",
     [("2025, October 15", "DATE"), ("December 1979", "DATE"), ("September 25, 2015", "DATE")]),
    ("in the 1990s, for nearly three decades, in Summer 2020, within a 45-day period, in 2020-2023.",
     [("1990s", "DATE"), ("nearly three decades", "DATE"), ("Summer 2020", "DATE"), ("45-day period", "DATE"),
      ("2020-2023", "DATE")]),
])
def test_matches(rules, text, expected):
    assert ents(rules, text) == expected


@pytest.mark.parametrize("text", [
    "abuse upon return.8 The principle",          # footnote marker
    "Vol. 25, No. 1, pp. 39-75",                  # identifiers, not counts
    "under Article 33 and Rule 29",
    "the 2012 UNGA resolution",                   # bare years are left to the NER
])
def test_non_counts_are_left_alone(rules, text):
    assert ents(rules, text) == []


def test_existing_entities_are_kept(rules):
    doc = segmenter()("Over 8,200 cases")
    doc.ents = [doc.char_span(0, 10, label="ACTOR")]
    assert [(e.text, e.label_) for e in rules(doc).ents] == [("Over 8,200", "ACTOR")]


@pytest.mark.parametrize("text, date", [
    ("Amended by Act No. 10188, Mar. 26, 2010.", "Mar. 26, 2010"),
    ("SEOUL, Oct. 13 (Yonhap) -- Many fled.", "Oct. 13"),
    ("They were deported on 27 May to China.", "27 May"),
    ("Posted 16/02/2012 by the group.", "16/02/2012"),
])
def test_news_and_statute_date_forms(text, date):
    import spacy

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "nkner.Tokenizer.v1"}}})
    nlp.add_pipe("nkner_pattern_rules", config={"labels": ["NUMBER", "DATE"]})
    ents = [(e.text, e.label_) for e in nlp(text).ents]
    assert (date, "DATE") in ents and not any(lab == "NUMBER" for _, lab in ents)

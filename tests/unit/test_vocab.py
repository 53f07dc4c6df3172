"""The shared vocabulary: one range of years, one list of months, dashes and qualifiers, read the same
way by the pattern rules, the normalizers, the validator and the baseline."""
from __future__ import annotations

import re

import pytest

from nkner.pipeline.normalize import normalize_date, normalize_number
from nkner.vocab import (DASHES, FIRST_YEAR, LAST_YEAR, LEADING_QUALIFIERS, MONTHS, YEAR_PATTERN, is_year,
                         qualifier_phrases, span_opening_qualifiers)


def test_the_year_pattern_is_exactly_the_year_range():
    years = [str(n) for n in range(1000, 10_000) if re.fullmatch(YEAR_PATTERN, str(n))]
    assert years == [str(n) for n in range(FIRST_YEAR, LAST_YEAR + 1)]
    assert [is_year(y) for y in ("1799", "1800", "2099", "2100", "02024", "2024 ")] == \
        [False, True, True, False, False, False]


@pytest.mark.parametrize("text, iso", [("1799", None), ("1800", "1800"), ("2099", "2099"), ("2100", None),
                                       ("the 1790s", None), ("the 1800s", "1800/1809"), ("2090s", "2090/2099"),
                                       ("March 1800", "1800-03"), ("March 2100", None),
                                       ("1799-03-01", None), ("1800-03-01", "1800-03-01")])
def test_dates_read_years_in_the_range_only(text, iso):
    assert normalize_date(text).get("iso") == iso


@pytest.mark.parametrize("text, expected", [
    ("1800-2099", {}),                      # two years: a period, not a quantity
    ("1799-1800", {"min": 1799, "max": 1800}),
    ("2099-2100", {"min": 2099, "max": 2100}),
])
def test_numbers_treat_a_range_of_two_years_as_a_period(text, expected):
    assert normalize_number(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2100 people fled.", [("2100", "NUMBER")]),      # not a year: a count
    ("1799 people fled.", [("1799", "NUMBER")]),
    ("1800 people fled.", []),                        # a year: left to the NER
    ("In 1800-1805 many fled.", [("1800-1805", "DATE")]),
    ("In 2095-2099 many fled.", [("2095-2099", "DATE")]),
    ("In 2099-2100 many fled.", []),                  # 2100 is no year, so this is no period
])
def test_pattern_rules_use_the_same_years(text, expected):
    from nkner.corpus.segment import segmenter
    from nkner.pipeline.rules import PatternRules

    doc = PatternRules(segmenter(), labels=("NUMBER", "DATE"))(segmenter()(text))
    assert [(e.text, e.label_) for e in doc.ents] == expected


def test_months_and_dashes():
    assert MONTHS["sept"] == MONTHS["september"] == 9 and MONTHS["may"] == 5 and len(set(MONTHS.values())) == 12
    assert "-" in DASHES and "\u2013" in DASHES and "\u2014" in DASHES
    assert normalize_number("15\u221223") == {"min": 15, "max": 23}  # any dash is a range mark


def test_every_qualifier_class_is_read_by_numbers_and_durations():
    for words, cls in qualifier_phrases(LEADING_QUALIFIERS, neutral=False):
        if words[0] in "<>~≈≤≥":
            continue  # symbols glued to the figure are numbers' own
        phrase = " ".join(words)
        assert normalize_number(f"{phrase} 600").get("qualifier") == cls, phrase
        assert normalize_date(f"{phrase} five years") == {"duration": "P5Y", "qualifier": cls}, phrase


def test_span_opening_qualifiers_leave_an_article_outside():
    opening = span_opening_qualifiers()
    assert "estimated" in opening and "an estimated" not in opening and "a minimum of" not in opening
    assert "a little over" in opening and "in excess of" in opening and "a total of" not in opening

"""DATE normalization: exact ISO 8601 outputs for the corpus's phrasing and the documented conventions."""
from __future__ import annotations

import random
import re
from datetime import date

import pytest

from nkner.pipeline.normalize import QUALIFIERS, normalize_date

DOC = "2025-08-14"

# ---------------------------------------------------------------------------------------------
# calendar points
# ---------------------------------------------------------------------------------------------
POINTS = [
    ("2014", {"iso": "2014"}),
    ("2014.", {"iso": "2014"}),
    ("(2014)", {"iso": "2014"}),
    ("October 2023", {"iso": "2023-10"}),
    ("February 2014", {"iso": "2014-02"}),
    ("December 1979", {"iso": "1979-12"}),
    ("June 2022", {"iso": "2022-06"}),
    ("June of 2024", {"iso": "2024-06"}),
    ("Sept 2015", {"iso": "2015-09"}),
    ("2025, October", {"iso": "2025-10"}),
    ("September 25, 2015", {"iso": "2015-09-25"}),
    ("25 September 2015", {"iso": "2015-09-25"}),
    ("13 July 2022", {"iso": "2022-07-13"}),
    ("September 3, 2017", {"iso": "2017-09-03"}),
    ("Sept. 3, 2017", {"iso": "2017-09-03"}),
    ("7th February, 2014", {"iso": "2014-02-07"}),
    ("the 7th of February 2014", {"iso": "2014-02-07"}),
    # reference-list style
    ("2023, December 7", {"iso": "2023-12-07"}),
    ("2025, Feb 19", {"iso": "2025-02-19"}),
    ("2019, November 12", {"iso": "2019-11-12"}),
    ("2025, October 15", {"iso": "2025-10-15"}),
    ("(2025, October 15)", {"iso": "2025-10-15"}),
    ("2022, 27 June", {"iso": "2022-06-27"}),
    ("2024, February 29", {"iso": "2024-02-29"}),
    ("2025-08-14", {"iso": "2025-08-14"}),
    ("2025-08", {"iso": "2025-08"}),
    # neutral prepositions outside the annotated span are tolerated
    ("in 2014", {"iso": "2014"}),
    ("as of late 2025", {"iso": "2025", "part": "late"}),
]


@pytest.mark.parametrize("text,expected", POINTS)
def test_points(text, expected):
    assert normalize_date(text) == expected
    assert normalize_date(text, DOC) == expected  # absolute dates ignore the document date


# ---------------------------------------------------------------------------------------------
# decades, centuries, fuzzy parts (iso = containing period, part = sub-period), exact sub-periods
# ---------------------------------------------------------------------------------------------
PERIODS = [
    ("1990s", {"iso": "1990/1999"}),
    ("the 1990s", {"iso": "1990/1999"}),
    ("1980's", {"iso": "1980/1989"}),
    ("2000s", {"iso": "2000/2009"}),
    ("20th century", {"iso": "1900/1999"}),
    ("the twentieth century", {"iso": "1900/1999"}),
    ("21st century", {"iso": "2000/2099"}),
    ("early 2024", {"iso": "2024", "part": "early"}),
    ("late 2025", {"iso": "2025", "part": "late"}),
    ("late 2023", {"iso": "2023", "part": "late"}),
    ("mid-2020", {"iso": "2020", "part": "mid"}),
    ("mid-1990s", {"iso": "1990/1999", "part": "mid"}),
    ("the early 1990s", {"iso": "1990/1999", "part": "early"}),
    ("the late 1990s", {"iso": "1990/1999", "part": "late"}),
    ("mid-to-late 1990s", {"iso": "1990/1999", "part": "mid_to_late"}),
    ("early-to-mid 2000s", {"iso": "2000/2009", "part": "early_to_mid"}),
    ("late October 2023", {"iso": "2023-10", "part": "late"}),
    ("late 20th century", {"iso": "1900/1999", "part": "late"}),
    ("end of 2024", {"iso": "2024", "part": "late"}),
    ("the beginning of 2020", {"iso": "2020", "part": "early"}),
    ("Summer 2020", {"iso": "2020", "part": "summer"}),
    ("Fall 2015", {"iso": "2015", "part": "autumn"}),
    ("winter of 2019", {"iso": "2019", "part": "winter"}),
    ("first half of 2025", {"iso": "2025-01/2025-06"}),
    ("the second half of 2024", {"iso": "2024-07/2024-12"}),
    ("Q3 2024", {"iso": "2024-07/2024-09"}),
    ("third quarter of 2024", {"iso": "2024-07/2024-09"}),
    ("the first quarter of 2023", {"iso": "2023-01/2023-03"}),
]


@pytest.mark.parametrize("text,expected", PERIODS)
def test_periods(text, expected):
    assert normalize_date(text) == expected


# ---------------------------------------------------------------------------------------------
# intervals
# ---------------------------------------------------------------------------------------------
INTERVALS = [
    ("2020-2023", {"iso": "2020/2023"}),
    ("2020–2025", {"iso": "2020/2025"}),
    ("2020 — 2025", {"iso": "2020/2025"}),
    ("2024-2025", {"iso": "2024/2025"}),
    ("2020 to 2023", {"iso": "2020/2023"}),
    ("from 2020 to 2023", {"iso": "2020/2023"}),
    ("between 2020 and 2023", {"iso": "2020/2023"}),
    ("2020/2023", {"iso": "2020/2023"}),
    ("2020-23", {"iso": "2020/2023"}),
    ("2024-25", {"iso": "2024/2025"}),
    ("2009-10", {"iso": "2009/2010"}),  # read as a year span, not October 2009
    ("2024-2025 (to date)", {"iso": "2024/2025"}),
    ("2024–2025 (so far)", {"iso": "2024/2025"}),
    ("Total (2020-2025)", {}),
    ("January-March 2024", {"iso": "2024-01/2024-03"}),
    ("October 2023 to March 2024", {"iso": "2023-10/2024-03"}),
    ("25-27 September 2015", {"iso": "2015-09-25/2015-09-27"}),
    ("September 25-27, 2015", {"iso": "2015-09-25/2015-09-27"}),
    ("1980s-1990s", {"iso": "1980/1999"}),
    ("2019 through 2021", {"iso": "2019/2021"}),
    ("2020-present", {"iso": "2020/.."}),  # ISO 8601-2 open end without a document date
]


@pytest.mark.parametrize("text,expected", INTERVALS)
def test_intervals(text, expected):
    assert normalize_date(text) == expected


def test_open_interval_ends_at_document_date():
    assert normalize_date("2020-present", DOC) == {"iso": "2020/2025-08-14", "relative": True}
    assert normalize_date("2020 to date", DOC) == {"iso": "2020/2025-08-14", "relative": True}
    assert normalize_date("2026-present", DOC) == {}


# ---------------------------------------------------------------------------------------------
# deictic expressions resolved against the document date
# ---------------------------------------------------------------------------------------------
RELATIVE = [
    ("last year", {"iso": "2024", "relative": True}),
    ("Last year", {"iso": "2024", "relative": True}),
    ("this year", {"iso": "2025", "relative": True}),
    ("earlier this year", {"iso": "2025", "relative": True}),
    ("next year", {"iso": "2026", "relative": True}),
    ("today", {"iso": "2025-08-14", "relative": True}),
    ("yesterday", {"iso": "2025-08-13", "relative": True}),
    ("last month", {"iso": "2025-07", "relative": True}),
    ("this month", {"iso": "2025-08", "relative": True}),
    ("last week", {"iso": "2025-W32", "relative": True}),
    ("this week", {"iso": "2025-W33", "relative": True}),
    ("two years ago", {"iso": "2023", "relative": True}),
    ("a year ago", {"iso": "2024", "relative": True}),
    ("a decade ago", {"iso": "2015", "relative": True}),
    ("six months ago", {"iso": "2025-02", "relative": True}),
    ("eight months ago", {"iso": "2024-12", "relative": True}),
    ("3 days ago", {"iso": "2025-08-11", "relative": True}),
    # vague: relative, never an invented iso
    ("recently", {"relative": True}),
    ("recent years", {"relative": True}),
    ("in recent years", {"relative": True}),
    ("recent decades", {"relative": True}),
    ("currently", {"relative": True}),
    ("near future", {"relative": True}),
    ("the near future", {"relative": True}),
    ("to date", {"relative": True}),
    ("the coming years", {"relative": True}),
]


@pytest.mark.parametrize("text,expected", RELATIVE)
def test_relative_with_document_date(text, expected):
    assert normalize_date(text, DOC) == expected


@pytest.mark.parametrize("text", [t for t, _ in RELATIVE])
def test_relative_without_document_date(text):
    assert normalize_date(text) == {"relative": True}


@pytest.mark.parametrize("doc_date,text,expected", [
    ("2025", "last year", {"iso": "2024", "relative": True}),
    ("2025", "today", {"relative": True}),  # not enough precision for a day
    ("2025", "last month", {"relative": True}),
    ("2025-08", "last month", {"iso": "2025-07", "relative": True}),
    ("2025-01", "last month", {"iso": "2024-12", "relative": True}),
    ("2024-03-01", "yesterday", {"iso": "2024-02-29", "relative": True}),
    ("2025-08-14T10:00:00Z", "today", {"iso": "2025-08-14", "relative": True}),
    (date(2021, 1, 1), "last year", {"iso": "2020", "relative": True}),
    ("not a date", "last year", {"relative": True}),
    ("2025-13-01", "last year", {"relative": True}),
])
def test_document_date_precision(doc_date, text, expected):
    assert normalize_date(text, doc_date) == expected


# ---------------------------------------------------------------------------------------------
# durations
# ---------------------------------------------------------------------------------------------
DURATIONS = [
    ("five years", {"duration": "P5Y"}),
    ("5 years", {"duration": "P5Y"}),
    ("six months", {"duration": "P6M"}),
    ("two weeks", {"duration": "P2W"}),
    ("45-day", {"duration": "P45D"}),
    ("45 days", {"duration": "P45D"}),
    ("a year-long", {"duration": "P1Y"}),
    ("year-long", {"duration": "P1Y"}),
    ("a year", {"duration": "P1Y"}),
    ("year", {"duration": "P1Y"}),
    ("a decade", {"duration": "P10Y"}),
    ("three decades", {"duration": "P30Y"}),
    ("twenty years", {"duration": "P20Y"}),
    ("a century", {"duration": "P100Y"}),
    ("1.5 years", {"duration": "P1.5Y"}),
    ("nearly three decades", {"duration": "P30Y", "qualifier": "less_than"}),
    ("almost a decade", {"duration": "P10Y", "qualifier": "less_than"}),
    ("more than a decade", {"duration": "P10Y", "qualifier": "more_than"}),
    ("over five years", {"duration": "P5Y", "qualifier": "more_than"}),
    ("about five years", {"duration": "P5Y", "qualifier": "about"}),
    ("at least two years", {"duration": "P2Y", "qualifier": "at_least"}),
    ("up to three months", {"duration": "P3M", "qualifier": "at_most"}),
    ("a couple of years", {"duration": "P2Y", "qualifier": "about"}),
    # vague counts state no value, so none is given ("years" is not two years)
    ("past few decades", {"relative": True}),
    ("the past few decades", {"relative": True}),
    ("over the past few decades", {"relative": True}),
    ("the past five years", {"duration": "P5Y", "relative": True}),
    ("the last five years", {"duration": "P5Y", "relative": True}),
    ("the past decade", {"duration": "P10Y", "relative": True}),
    ("the last year", {"duration": "P1Y", "relative": True}),  # not the calendar year "last year"
    ("the past year", {"duration": "P1Y", "relative": True}),
    ("the next two years", {"duration": "P2Y", "relative": True}),
]


@pytest.mark.parametrize("text,expected", DURATIONS)
def test_durations(text, expected):
    assert normalize_date(text) == expected
    assert normalize_date(text, DOC) == expected  # durations are never resolved to a calendar value


# ---------------------------------------------------------------------------------------------
# what must not be read
# ---------------------------------------------------------------------------------------------
REJECTED = [
    "", "  ", "n.d.", "COVID-19", "since 2020", "before 2020",
    "years", "for years", "decades", "months", "a few years", "several years", "many years", "multi-year",
    "accessed 11 July 2022", "February 30, 2015", "2015-02-30", "2023-13", "2025-2020", "2023-2020",
    "0999", "3000", "14/08/2025", "2025/08/14", "the following year", "the previous year",
    "July 22, Juche 104 (2015)", "early 25 September 2015", "1995s", "12:30", "P5", "five",
    "zero years", "Article 33", "late", "spring", "the previous five years",
]


@pytest.mark.parametrize("text", REJECTED)
def test_rejected(text):
    assert normalize_date(text) == {}
    assert normalize_date(text, DOC) == {}


def test_non_string_input():
    assert normalize_date(None) == {}  # type: ignore[arg-type]
    assert normalize_date(2014) == {}  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# output shape
# ---------------------------------------------------------------------------------------------
_ISO_UNIT = r"(\d{4}(-\d{2}(-\d{2})?)?|\d{4}-W\d{2})"
_ISO = re.compile(rf"^{_ISO_UNIT}(/({_ISO_UNIT}|\.\.))?$")
_DURATION = re.compile(r"^P\d+(\.\d+)?[YMWD]$")
ALL_READ = POINTS + PERIODS + INTERVALS + DURATIONS


@pytest.mark.parametrize("text,expected", ALL_READ + RELATIVE)
def test_output_shape(text, expected):
    out = normalize_date(text, DOC)
    assert set(out) <= {"iso", "part", "duration", "qualifier", "relative"}
    if "iso" in out:
        assert _ISO.match(out["iso"]), out["iso"]
        if "/" in out["iso"]:
            start, end = out["iso"].split("/")
            assert end == ".." or start < end
    if "duration" in out:
        assert _DURATION.match(out["duration"])
        assert "iso" not in out
    if "qualifier" in out:
        assert out["qualifier"] in QUALIFIERS
        assert "duration" in out
    if "part" in out:
        assert out["part"] in {"early", "mid", "late", "early_to_mid", "mid_to_late",
                               "spring", "summer", "autumn", "winter"}
    if "relative" in out:
        assert out["relative"] is True


def test_never_raises_on_noise():
    rng = random.Random(19900101)
    alphabet = list("0123456789,.-–/() abcdefghijklmnopqrstuvwxyz") + [
        " 2020", " 1990s", " october", " to ", " and ", " early", " mid", " last", " years", " ago",
        " past", " the", " of ", " half", " q", " century", " present",
    ]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        assert isinstance(normalize_date(text, DOC), dict)
        assert isinstance(normalize_date(text), dict)


# ---------------------------------------------------------------------------------------------
# news phrasing: weekdays, bare months, anaphoric offsets (document date Wednesday 2025-03-12)
# ---------------------------------------------------------------------------------------------
NEWS_DOC = "2025-03-12"
NEWS = [
    ("Monday", {"iso": "2025-03-10", "relative": True}),
    ("on Monday", {"iso": "2025-03-10", "relative": True}),
    ("Wednesday", {"iso": "2025-03-12", "relative": True}),      # the report's own day
    ("last Wednesday", {"iso": "2025-03-05", "relative": True}),
    ("Thursday", {"iso": "2025-03-06", "relative": True}),       # the latest one, in the past
    ("next Friday", {"iso": "2025-03-14", "relative": True}),
    ("January", {"iso": "2025-01", "relative": True}),
    ("in January", {"iso": "2025-01", "relative": True}),
    ("late January", {"iso": "2025-01", "part": "late", "relative": True}),
    ("October", {"iso": "2024-10", "relative": True}),           # no October yet in 2025
    ("last March", {"iso": "2024-03", "relative": True}),
    ("July 22", {"iso": "2024-07-22", "relative": True}),
    ("22 July", {"iso": "2024-07-22", "relative": True}),
    ("last week", {"iso": "2025-W10", "relative": True}),
    ("a year earlier", {"iso": "2024", "relative": True}),
    ("two months later", {"iso": "2025-05", "relative": True}),
    ("a week earlier", {"iso": "2025-W10", "relative": True}),
]


@pytest.mark.parametrize("text,expected", NEWS)
def test_news_relative_dates(text, expected):
    assert normalize_date(text, NEWS_DOC) == expected
    assert normalize_date(text) == {"relative": True}  # without the report's date: no value invented


def test_anaphoric_dates_count_from_the_reference():
    # "236 defectors arrived in 2024, up from 196 a year earlier"
    assert normalize_date("a year earlier", NEWS_DOC, reference="2024") == {"iso": "2023", "relative": True}
    assert normalize_date("a year earlier", None, reference="2024-06") == {"iso": "2023", "relative": True}
    assert normalize_date("three months earlier", None, reference="2024-02") == {"iso": "2023-11", "relative": True}
    # a month offset from a year alone has no month to count from
    assert normalize_date("a month later", None, reference="2024") == {"relative": True}


def test_a_year_alone_is_still_a_duration():
    assert normalize_date("a year") == {"duration": "P1Y"}

"""The shared vocabulary of dates and quantities: months, weekdays, the years read as years, the
units of a duration, dashes, and the words that bound or approximate a quantity.

One home for each list: the pattern rules (:mod:`nkner.pipeline.rules`), the normalizers
(:mod:`nkner.pipeline.normalize`: numbers, dates, the report's own date), the rules-only baseline
(:mod:`nkner.training.baseline`) and the annotation validator (:mod:`nkner.corpus.validate`) import
them, so a word added here is known to all of them.
"""
from __future__ import annotations

import re

# --------------------------------------------------------------------------------------------
# months and weekdays
# --------------------------------------------------------------------------------------------
MONTH_NAMES: tuple[str, ...] = ("January", "February", "March", "April", "May", "June", "July", "August",
                                "September", "October", "November", "December")
#: abbreviations as reports write them, with or without a full stop ("Mar. 26, 2010"); May has none
MONTH_ABBREVIATIONS: dict[str, int] = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8,
                                       "Sep": 9, "Sept": 9, "Oct": 10, "Nov": 11, "Dec": 12}
#: every month word, lower case -> month number (1-12)
MONTHS: dict[str, int] = {**{name.lower(): i for i, name in enumerate(MONTH_NAMES, 1)},
                          **{abbr.lower(): m for abbr, m in MONTH_ABBREVIATIONS.items()}}
#: the month words as written (capitalized): full names, then abbreviations
MONTH_WORDS: tuple[str, ...] = MONTH_NAMES + tuple(MONTH_ABBREVIATIONS)

WEEKDAY_NAMES: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_ABBREVIATIONS: tuple[str, ...] = tuple(name[:3] for name in WEEKDAY_NAMES)
#: weekday names, lower case -> ``date.weekday()`` (Monday 0)
WEEKDAYS: dict[str, int] = {name.lower(): i for i, name in enumerate(WEEKDAY_NAMES)}

# --------------------------------------------------------------------------------------------
# years
# --------------------------------------------------------------------------------------------
#: A four-digit figure is read as a year (a date, not a count) from FIRST_YEAR to LAST_YEAR: the
#: range of the reports' history (nineteenth-century treaties to 2090s projections).  Outside it a
#: figure is a count ("2500 people"), and a DATE span's "1750" is not given an ISO value.
FIRST_YEAR, LAST_YEAR = 1800, 2099
#: regular expressions (no anchors, no groups to capture) for a year and a decade ("1990s") in that range
YEAR_PATTERN = r"(?:1[89]|20)\d\d"
DECADE_PATTERN = r"(?:1[89]|20)\d0s"
_YEAR = re.compile(YEAR_PATTERN)


def is_year(text: str) -> bool:
    """Whether ``text`` is a four-digit year from :data:`FIRST_YEAR` to :data:`LAST_YEAR`."""
    return _YEAR.fullmatch(text) is not None


#: calendar units of a duration ("three decades", "a 45-day period"): word -> (count of the ISO
#: 8601 unit, its designator)
DURATION_UNITS: dict[str, tuple[int, str]] = {
    "day": (1, "D"), "days": (1, "D"), "week": (1, "W"), "weeks": (1, "W"),
    "month": (1, "M"), "months": (1, "M"), "year": (1, "Y"), "years": (1, "Y"),
    "decade": (10, "Y"), "decades": (10, "Y"), "century": (100, "Y"), "centuries": (100, "Y"),
}

# --------------------------------------------------------------------------------------------
# dashes
# --------------------------------------------------------------------------------------------
#: every dash and hyphen character: a range mark between figures ("15–23", "2020—2023") and the same
#: character in names ("UNHCR–China" = "UNHCR-China")
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
#: the dashes that set off a clause or a parenthesis in prose (en and em dash; never a hyphen)
CLAUSE_DASHES = ("\u2013", "\u2014")

# --------------------------------------------------------------------------------------------
# qualifiers of quantities
# --------------------------------------------------------------------------------------------
#: the classes of qualifier (``normalize_number``'s ``qualifier``)
QUALIFIER_CLASSES: tuple[str, ...] = ("at_least", "at_most", "about", "more_than", "less_than")

_COMPARATIVES = {
    "more_than": ["more than", "over", "above", "in excess of", "greater than", "exceeding"],
    "less_than": ["less than", "fewer than", "under", "below", "shy of"],
}
#: words that strengthen a comparative without changing its class ("just over", "well over")
INTENSIFIERS = ("just", "well", "slightly", "a little", "far", "much", "somewhat")

#: Words before a quantity, by class.  The class ``""`` holds focus words that neither bound nor
#: approximate ("a total of", "only"): the normalizer reads past them, and the annotation keeps
#: them outside NUMBER spans (guidelines 8.3).
LEADING_QUALIFIERS: dict[str, list[str]] = {
    "more_than": _COMPARATIVES["more_than"] + ["upwards of", "upward of", ">"],
    "less_than": [p for p in _COMPARATIVES["less_than"] if p != "shy of"] + ["nearly", "almost", "not quite", "<"],
    "at_least": ["at least", "no fewer than", "no less than", "a minimum of", "minimum of", "≥"],
    "at_most": ["up to", "as many as", "as much as", "at most", "no more than", "a maximum of", "maximum of", "≤"],
    "about": ["approximately", "approx", "around", "about", "some", "roughly", "circa", "an estimated", "estimated",
              "an approximate", "approximate", "close to", "in the region of", "on the order of", "~", "≈"],
    "": ["a total of", "total of", "only", "exactly", "precisely", "just"],
}
for _cls, _phrases in _COMPARATIVES.items():
    LEADING_QUALIFIERS[_cls] = LEADING_QUALIFIERS[_cls] + [f"{i} {p}" for i in INTENSIFIERS for p in _phrases]

#: words after a quantity, by class ("1,076+", "600 or more", "a dozen or so")
TRAILING_QUALIFIERS: dict[str, list[str]] = {
    "at_least": ["+", "plus", "or more", "and more", "or above", "and above", "or over", "and over", "and counting"],
    "at_most": ["or less", "or fewer", "and below", "or below"],
    "about": ["or so", "odd", "or thereabouts"],
}


def qualifier_phrases(spec: dict[str, list[str]] = LEADING_QUALIFIERS, *, neutral: bool = True
                      ) -> list[tuple[tuple[str, ...], str]]:
    """``(words, class)`` for every phrase of ``spec``, longest first (so that "more than" is tried
    before "more"); without the focus words of class ``""`` when ``neutral`` is False."""
    out = [(tuple(p.split()), cls) for cls, phrases in spec.items() if neutral or cls for p in phrases]
    return sorted(out, key=lambda item: -len(item[0]))


def span_opening_qualifiers() -> list[str]:
    """The qualifier phrases a NUMBER span may begin with (annotation guidelines 7.1, 8.3): every
    bound or approximation, without an article that the phrase does not need ("an estimated 200,000"
    is annotated "an [estimated 200,000]", since "estimated" alone is a qualifier; "a little over"
    keeps its "a")."""
    phrases = {" ".join(words) for words, _ in qualifier_phrases(neutral=False)}
    return sorted((p for p in phrases if not (p.split()[0] in ("a", "an") and p.split(" ", 1)[1] in phrases)),
                  key=lambda p: (-len(p), p))

"""Normalize the text of a DATE span to ISO 8601 (standard library only).

``normalize_date(text, doc_date=None)`` returns a dict with only the keys that apply:

``iso``        a calendar value: ``"2014"``, ``"2023-10"``, ``"2025-02-19"``, an ISO week
               ``"2025-W33"``, or an interval ``"start/end"`` (``"2020/2023"``, ``"1990/1999"``)
``part``       a fuzzy part of the ``iso`` period: ``early``, ``mid``, ``late``, ``early_to_mid``,
               ``mid_to_late``, or a season ``spring``/``summer``/``autumn``/``winter``
``duration``   an ISO 8601 duration (``"P5Y"``, ``"P6M"``, ``"P2W"``, ``"P45D"``, ``"P30Y"``)
``qualifier``  on a duration, the number vocabulary of :mod:`.numbers`: ``about``,
               ``less_than``, ``more_than``, ``at_least``, ``at_most``
``relative``   ``True`` when the expression is deictic, i.e. anchored to the document's date
               ("last year", "today", "the past five years", "recently"), whether or not
               ``doc_date`` allowed an ``iso`` to be computed

Unparseable text gives ``{}``; nothing raises.

Conventions
-----------
* Precision is what the text gives: "2014" -> ``2014``, "October 2023" -> ``2023-10``,
  "September 25, 2015" / "25 September 2015" / "2023, December 7" / "2025, Feb 19" /
  "7th February, 2014" / "June of 2024" / "2025-08-14" -> day or month precision.  Outer
  parentheses are dropped ("(2025, October 15)").  A month or day without a year ("July 22",
  "October") is not completed from ``doc_date`` and gives ``{}``.  A year is a four-digit figure
  from 1800 to 2099, as everywhere in nkner (:mod:`nkner.vocab`): "1750" or "2100" gives ``{}``.
* Intervals are ISO ``start/end`` at the precision written: "2020-2023", "2020–2025",
  "2020 to 2023", "between 2020 and 2023", "2020-23" -> ``2020/2023``; "January-March 2024" ->
  ``2024-01/2024-03``; "25-27 September 2015" -> ``2015-09-25/2015-09-27``; "1980s-1990s" ->
  ``1980/1999``.  "YYYY-NN" is a year span when NN can be a later year ("2009-10" ->
  ``2009/2010``) and otherwise a month ("2025-08" -> ``2025-08``).  A trailing "(to date)" /
  "(so far)" is dropped ("2024-2025 (to date)" -> ``2024/2025``).  An end of "present"/"now"/
  "today"/"date" is ``doc_date`` (``relative``) or, without it, the ISO 8601-2 open end ``..``.
* Decades and centuries are intervals: "1990s" / "the 1990s" -> ``1990/1999``;
  "20th century" -> ``1900/1999``.
* Fuzzy sub-periods keep the containing period in ``iso`` and name the sub-period in ``part``
  (like TimeML's ``mod``), never an invented month range: "early 2024" -> iso ``2024``, part
  ``early``; "mid-1990s" -> ``1990/1999`` + ``mid``; "mid-to-late 1990s" -> ``mid_to_late``;
  "Summer 2020" -> ``2020`` + ``summer`` ("fall" is ``autumn``); "end of 2024" -> ``late``.
  Exact sub-periods are exact intervals: "first half of 2025" -> ``2025-01/2025-06``,
  "Q3 2024" / "third quarter of 2024" -> ``2024-07/2024-09``.
* Deictic expressions are resolved only against ``doc_date`` ("YYYY", "YYYY-MM" or
  "YYYY-MM-DD"): with doc_date 2025-08-14, "last year" -> ``2024``, "this year" -> ``2025``,
  "today" -> ``2025-08-14``, "last month" -> ``2025-07``, "two years ago" -> ``2023``, "last week"
  -> ``2025-W32``.  Without doc_date (or without enough precision in it) they give
  ``{"relative": True}``.  Vague ones ("recently", "recent years", "currently", "near future",
  "to date") are always ``{"relative": True}`` with no ``iso``.
* Durations are ISO 8601 durations with the count written: "five years" -> ``P5Y``, "six months"
  -> ``P6M``, "a year-long" -> ``P1Y``, "45-day" -> ``P45D``, "three decades" -> ``P30Y``.
  Qualifiers follow the numbers: "nearly three decades" -> ``P30Y`` + ``less_than``; "about"/
  "around"/"some" -> ``about``; "over"/"more than" -> ``more_than``.  A vague count gives its
  lower bound with ``at_least``: a plural without a count ("years", "decades") or "a few"/"many"/
  "multi-" means at least 2 ("past few decades" -> ``P20Y``, ``at_least``, relative), "several"
  at least 3.  "the past/last N units" and "the next/coming N units" are durations with
  ``relative``; "last year" (no article, no count) is the calendar year before ``doc_date``,
  while "the last year" / "the past year" is the duration ``P1Y``.  "previous", "preceding" and
  "following" are anaphoric (relative to another event, not to the document) and give ``{}``.
* Interval ends lose their fuzzy parts ("early 2020 to late 2021" -> ``2020/2021``).  "since
  2020", "before 2020" (prepositions belong outside DATE spans) give ``{}``; neutral ones
  ("in", "on", "during", "as of", "for", "over the past") are skipped.
"""
from __future__ import annotations

import calendar
import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta

from nkner.vocab import DURATION_UNITS, LEADING_QUALIFIERS, MONTHS, WEEKDAYS, is_year, qualifier_phrases

from .numbers import fold_text, parse_cardinal

__all__ = ["normalize_date"]

_SEASONS = {"spring": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn",
            "winter": "winter"}
_PARTS = [  # longest first
    ("early to mid", "early_to_mid"), ("mid to late", "mid_to_late"),
    ("the beginning of", "early"), ("beginning of", "early"), ("the start of", "early"),
    ("start of", "early"), ("the middle of", "mid"), ("middle of", "mid"), ("the end of", "late"),
    ("end of", "late"), ("early", "early"), ("mid", "mid"), ("middle", "mid"), ("late", "late"),
]
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": 4, "final": 4}
_CENTURY_WORDS = {"eighteenth": 18, "nineteenth": 19, "twentieth": 20, "twenty first": 21}

#: "nearly three decades", "over five years": the qualifiers of numbers (focus words such as
#: "only" are read past, with no qualifier)
_DURATION_QUALIFIERS = qualifier_phrases(LEADING_QUALIFIERS)
_PREPOSITIONS = ("as of ", "in ", "on ", "during ", "throughout ", "for ", "within ")  # read past
#: qualifiers that begin with one of those prepositions ("in excess of", "on the order of"): kept
_QUALIFIERS_OPENING_WITH_A_PREPOSITION = tuple(
    phrase for phrase in (" ".join(words) + " " for words, _ in _DURATION_QUALIFIERS) if phrase.startswith(_PREPOSITIONS))
_VAGUE_COUNTS = {"a few", "few", "several", "many", "multiple", "multi", "some"}

_VAGUE_RELATIVE = {
    "recently", "recent", "recent years", "recent decades", "recent months", "recent weeks",
    "recent times", "lately", "currently", "now", "nowadays", "at present", "present",
    "presently", "to date", "so far", "these days", "near future", "future", "the future",
    "the near future", "past", "the past", "soon", "coming years", "the coming years",
    "years to come", "the years to come", "recent past", "the recent past",
}
_OPEN_ENDS = {"present", "the present", "now", "today", "date"}



@dataclass(frozen=True)
class _Period:
    start: str  # ISO value of the first unit
    end: str  # ISO value of the last unit

    @property
    def iso(self) -> str:
        return self.start if self.start == self.end else f"{self.start}/{self.end}"


# --------------------------------------------------------------------------------------------
# text cleaning
# --------------------------------------------------------------------------------------------
def _clean(text: str) -> str:
    s = fold_text(text)
    s = re.sub(r"\s*\((?:to date|so far|ongoing|to present)\)\s*$", "", s)
    while len(s) >= 2 and s[0] in "([" and s[-1] in ")]":
        s = s[1:-1].strip()
    s = s.strip("\"'")
    s = s.rstrip(".,;:").strip()
    # "mid-to-late" -> "mid to late", "year-long" -> "year long", "mid-1990s" -> "mid 1990s",
    # "45-day" -> "45 day"; a hyphen between figures stays (ranges, ISO dates)
    # (but "January-March" stays a range)
    s = re.sub(r"([a-z.]+)-(?=([a-z]+))",
               lambda m: m.group(0) if _month(m.group(1)) and _month(m.group(2)) else m.group(1) + " ", s)
    s = re.sub(r"\b(early|mid|late)-(?=\d)", r"\1 ", s)
    s = re.sub(r"(?<=\d)-(?=(?:day|week|month|year|decade|centur)[a-z]*\b)", " ", s)
    s = re.sub(r"\s*-\s*", "-", s)
    return " ".join(s.split())


def _strip_prepositions(s: str) -> str:
    changed = True
    while changed and not s.startswith(_QUALIFIERS_OPENING_WITH_A_PREPOSITION):
        changed = False
        for p in _PREPOSITIONS:
            if s.startswith(p):
                s, changed = s[len(p):], True
        if re.match(r"over the (past|last|previous|next|coming)\b", s):
            s, changed = s[len("over "):], True
    return s


# --------------------------------------------------------------------------------------------
# points
# --------------------------------------------------------------------------------------------
def _year(tok: str) -> int | None:
    return int(tok) if is_year(tok) else None


def _day(tok: str) -> int | None:
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", tok)
    return int(m.group(1)) if m else None


def _month(tok: str) -> int | None:
    return MONTHS.get(tok.rstrip("."))


def _ymd(y: int, m: int, d: int) -> _Period | None:
    try:
        date(y, m, d)
    except ValueError:
        return None
    iso = f"{y:04d}-{m:02d}-{d:02d}"
    return _Period(iso, iso)


def _plain_point(s: str) -> _Period | None:
    """A year, month, day, decade or century with no part or season."""
    s = re.sub(r"^the ", "", s)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
    if m:
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3))) if is_year(m.group(1)) else None
    m = re.fullmatch(r"(\d{3})0'?s", s)
    if m and is_year(m.group(1) + "0"):
        y = int(m.group(1)) * 10
        return _Period(f"{y:04d}", f"{y + 9:04d}")
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th) century", s)
    n = int(m.group(1)) if m else None
    m2 = re.fullmatch(r"(.+) century", s)
    if n is None and m2:
        n = _CENTURY_WORDS.get(m2.group(1))
    if n is not None and 1 <= n <= 30:
        y = (n - 1) * 100
        return _Period(f"{y:04d}", f"{y + 99:04d}")
    toks = [t for t in s.replace(",", " ").split() if t != "of"]
    if len(toks) == 1:
        y = _year(toks[0])
        return _Period(str(y), str(y)) if y else None
    if len(toks) == 2:
        a, b = toks
        for mt, yt in ((a, b), (b, a)):
            mo, y = _month(mt), _year(yt)
            if mo and y:
                iso = f"{y:04d}-{mo:02d}"
                return _Period(iso, iso)
        return None
    if len(toks) == 3:
        # month, day and year in any order: a month is a word, a day one or two digits, a year four
        for mt, dt, yt in itertools.permutations(toks):
            mo, d, y = _month(mt), _day(dt), _year(yt)
            if mo and d and y:
                return _ymd(y, mo, d)
    return None


def _exact_subperiod(s: str) -> _Period | None:
    """'first half of 2025', 'the second half of 2024', 'Q3 2024', 'third quarter of 2024'."""
    s = re.sub(r"^the ", "", s)
    m = re.fullmatch(r"(first|second|last|latter) half of (\d{4})", s)
    if m and _year(m.group(2)):
        y = int(m.group(2))
        if m.group(1) == "first":
            return _Period(f"{y}-01", f"{y}-06")
        return _Period(f"{y}-07", f"{y}-12")
    m = re.fullmatch(r"(?:q([1-4])|(first|second|third|fourth|last|final) quarter of) (\d{4})", s)
    if m and _year(m.group(3)):
        q = int(m.group(1)) if m.group(1) else _ORDINALS[m.group(2)]
        y = int(m.group(3))
        return _Period(f"{y}-{3 * q - 2:02d}", f"{y}-{3 * q:02d}")
    return None


def _point(s: str) -> tuple[_Period, str | None] | None:
    """A period with an optional fuzzy part or season."""
    s = re.sub(r"^the ", "", s)
    p = _exact_subperiod(s)
    if p:
        return p, None
    p = _plain_point(s)
    if p:
        return p, None
    m = re.fullmatch(r"(spring|summer|autumn|fall|winter)(?: of)? (\d{4})", s)
    if m and _year(m.group(2)):
        return _Period(m.group(2), m.group(2)), _SEASONS[m.group(1)]
    for phrase, part in _PARTS:
        if s.startswith(phrase + " "):
            inner = _plain_point(s[len(phrase) + 1:].removeprefix("of ").removeprefix("the "))
            # a fuzzy part of a single day is meaningless
            if inner and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", inner.start):
                return inner, part
            return None
    return None


# --------------------------------------------------------------------------------------------
# intervals
# --------------------------------------------------------------------------------------------
def _key(iso: str, end: bool = False) -> tuple[int, int, int]:
    parts = [int(x) for x in iso.split("-")]
    y = parts[0]
    m = parts[1] if len(parts) > 1 else (12 if end else 1)
    d = parts[2] if len(parts) > 2 else (calendar.monthrange(y, m)[1] if end else 1)
    return y, m, d


def _side(s: str) -> _Period | None:
    got = _point(s)
    return got[0] if got else None


def _join(left: _Period, right: _Period) -> _Period | None:
    if _key(left.start) >= _key(right.start) or _key(left.end, True) >= _key(right.end, True):
        return None
    return _Period(left.start, right.end)


def _interval(s: str, anchor: tuple[int, int | None, int | None] | None) -> dict | None:
    mode = None
    m = re.match(r"(between|from) (.+)$", s)
    if m:
        mode, s = m.group(1), m.group(2)
    # YYYY-NN: a year span when NN can be a later year, else an ISO month
    m = re.fullmatch(r"(\d{4})[-/](\d{2})", s)
    if m and mode is None and _year(m.group(1)):
        y, nn = int(m.group(1)), int(m.group(2))
        later = y // 100 * 100 + nn
        if later > y:
            return {"iso": f"{y}/{later}"}
        if 1 <= nn <= 12:
            return {"iso": f"{y}-{nn:02d}"}
        return None
    connectors = {"between": [" and ", "-"], "from": [" to ", " until ", " till ", " through ", "-"],
                  None: ["-", " to ", " until ", " till ", " through ", "/"]}[mode]
    for conn in connectors:
        start = 0
        while True:
            k = s.find(conn, start)
            if k < 0:
                break
            start = k + 1
            left_s, right_s = s[:k].strip(), s[k + len(conn):].strip()
            if not left_s or not right_s:
                continue
            if right_s in _OPEN_ENDS:
                left = _side(left_s)
                if left is None:
                    continue
                if anchor is None:
                    return {"iso": f"{left.start}/.."}
                end = _anchor_iso(anchor)
                if _key(left.start) > _key(end):
                    return None
                return {"iso": f"{left.start}/{end}", "relative": True}
            left, right = _side(left_s), _side(right_s)
            # "2020-23": a two-digit end year
            if left and right is None and re.fullmatch(r"\d{2}", right_s) and re.fullmatch(r"\d{4}", left.start) \
                    and left.start == left.end:
                y = int(left.start)
                later = y // 100 * 100 + int(right_s)
                right = _Period(str(later), str(later)) if later > y else None
            # borrow what one side leaves out: "January-March 2024", "25-27 September 2015",
            # "September 25-27, 2015"
            rt, lt = right_s.replace(",", " ").split(), left_s.replace(",", " ").split()
            if right is None:
                for n in range(1, len(lt)):
                    right = _side(" ".join(lt[:n] + rt))
                    if right is not None:
                        break
            if left is None and right is not None:
                for n in range(1, len(rt)):
                    left = _side(" ".join(lt + rt[-n:]))
                    if left is not None:
                        break
            if left is None or right is None:
                continue
            joined = _join(left, right)
            if joined is None:
                return None
            return {"iso": joined.iso}
    return None


# --------------------------------------------------------------------------------------------
# deictic expressions
# --------------------------------------------------------------------------------------------
def _parse_anchor(doc_date) -> tuple[int, int | None, int | None] | None:
    if doc_date is None:
        return None
    if isinstance(doc_date, date):
        return doc_date.year, doc_date.month, doc_date.day
    if not isinstance(doc_date, str):
        return None
    m = re.match(r"\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", doc_date)
    if not m:
        return None
    y = int(m.group(1))
    mo = int(m.group(2)) if m.group(2) else None
    d = int(m.group(3)) if m.group(3) else None
    try:
        date(y, mo or 1, d or 1)
    except ValueError:
        return None
    return y, mo, d


def _anchor_iso(anchor: tuple[int, int | None, int | None]) -> str:
    y, mo, d = anchor
    if d is not None:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    if mo is not None:
        return f"{y:04d}-{mo:02d}"
    return f"{y:04d}"


def _shift_months(y: int, mo: int, k: int) -> tuple[int, int]:
    n = y * 12 + (mo - 1) + k
    return n // 12, n % 12 + 1


def _weekday_or_month(s: str, anchor) -> dict | None:
    """A weekday ("Monday", "last Monday", "next Friday") or a month without a year ("January",
    "late January", "last October", "July 22"): the latest one on or before the document's date
    (news speaks of the past; "next" looks forward), at the precision written."""
    m = re.fullmatch(r"(?:(last|this|next|past) )?([a-z]+)\.?", s)
    if m and m.group(2) in WEEKDAYS:
        if not anchor or anchor[2] is None:
            return {"relative": True}
        today = date(*anchor)
        back = (today.weekday() - WEEKDAYS[m.group(2)]) % 7
        if m.group(1) == "next":
            back = back - 7 if back else -7
        elif m.group(1) == "last" and back == 0:
            back = 7
        return {"iso": (today - timedelta(days=back)).isoformat(), "relative": True}
    part = None
    for phrase, p in _PARTS:
        if s.startswith(phrase + " "):
            part, s = p, s[len(phrase) + 1:].removeprefix("of ")
            break
    m = re.fullmatch(r"(?:(last|this|next) )?([a-z]+\.?)(?: (\d{1,2})(?:st|nd|rd|th)?)?", s) or \
        re.fullmatch(r"(?:(last|this|next) )?(\d{1,2})(?:st|nd|rd|th)? ([a-z]+\.?)", s)
    if not m:
        return None
    word, day = (m.group(2), m.group(3)) if not m.group(2).isdigit() else (m.group(3), m.group(2))
    mo = _month(word)
    if mo is None or (day is not None and part is not None):
        return None
    if not anchor or anchor[1] is None:
        return {"relative": True}
    y = anchor[0]
    d = int(day) if day else None
    if (mo, d or 1) > (anchor[1], anchor[2] or 31):
        y -= 1  # the latest such month (or day) up to the document's date
    if m.group(1) == "next":
        y = anchor[0] + 1 if (mo, d or 1) <= (anchor[1], anchor[2] or 31) else anchor[0]
    elif m.group(1) == "last" and y == anchor[0]:
        y -= 1
    if d is not None:
        got = _ymd(y, mo, d)
        return {"iso": got.iso, "relative": True} if got else None
    return {"iso": f"{y:04d}-{mo:02d}", **({"part": part} if part else {}), "relative": True}


def _anaphoric(s: str, reference) -> dict | None:
    """"a year earlier", "two months later", "a week before": counted from ``reference`` (the
    sentence's previous date, else the document's date) at the precision of the unit."""
    m = re.fullmatch(r"(.+) (days?|weeks?|months?|years?|decades?) (earlier|later|before|after|prior|afterwards)",
                     s)
    if not m:
        return None
    n = 1 if m.group(1) in ("a", "an", "one") else parse_cardinal(m.group(1))
    if n is None or n <= 0:
        return None
    n = -n if m.group(3) in ("earlier", "before", "prior") else n
    unit = m.group(2).rstrip("s")
    if reference is None:
        return {"relative": True}
    y, mo, d = reference
    if unit in ("year", "decade"):
        return {"iso": f"{y + n * (10 if unit == 'decade' else 1):04d}", "relative": True}
    if unit == "month":
        if mo is None:
            return {"relative": True}
        yy, mm = _shift_months(y, mo, n)
        return {"iso": f"{yy:04d}-{mm:02d}", "relative": True}
    if d is None:
        return {"relative": True}
    if unit == "week":
        iy, iw, _ = (date(y, mo, d) + timedelta(weeks=n)).isocalendar()
        return {"iso": f"{iy:04d}-W{iw:02d}", "relative": True}
    return {"iso": (date(y, mo, d) + timedelta(days=n)).isoformat(), "relative": True}


def _deictic(s: str, anchor) -> dict | None:
    if s in _VAGUE_RELATIVE:
        return {"relative": True}
    y = mo = d = None
    if anchor:
        y, mo, d = anchor
    rel = {"relative": True}

    def day_iso(delta: int) -> dict:
        if d is None:
            return rel
        return {"iso": (date(y, mo, d) + timedelta(days=delta)).isoformat(), "relative": True}

    def month_iso(k: int) -> dict:
        if mo is None:
            return rel
        yy, mm = _shift_months(y, mo, k)
        return {"iso": f"{yy:04d}-{mm:02d}", "relative": True}

    def week_iso(k: int) -> dict:
        if d is None:
            return rel
        iy, iw, _ = (date(y, mo, d) + timedelta(weeks=k)).isocalendar()
        return {"iso": f"{iy:04d}-W{iw:02d}", "relative": True}

    def year_iso(k: int) -> dict:
        if y is None:
            return rel
        return {"iso": f"{y + k:04d}", "relative": True}

    simple = {
        "today": lambda: day_iso(0), "yesterday": lambda: day_iso(-1), "tomorrow": lambda: day_iso(1),
        "this year": lambda: year_iso(0), "the current year": lambda: year_iso(0),
        "earlier this year": lambda: year_iso(0), "later this year": lambda: year_iso(0),
        "last year": lambda: year_iso(-1), "next year": lambda: year_iso(1),
        "this month": lambda: month_iso(0), "earlier this month": lambda: month_iso(0),
        "last month": lambda: month_iso(-1), "next month": lambda: month_iso(1),
        "this week": lambda: week_iso(0), "last week": lambda: week_iso(-1),
        "next week": lambda: week_iso(1),
    }
    if s in simple:
        return simple[s]()
    m = re.fullmatch(r"(.+) (days?|weeks?|months?|years?|decades?) ago", s)
    if m:
        n = 1 if m.group(1) in ("a", "an", "one") else parse_cardinal(m.group(1))
        if n is None:
            return None
        unit = m.group(2).rstrip("s")
        if unit == "day":
            return day_iso(-n)
        if unit == "week":
            return week_iso(-n)
        if unit == "month":
            return month_iso(-n)
        return year_iso(-n * (10 if unit == "decade" else 1))
    return None


# --------------------------------------------------------------------------------------------
# durations
# --------------------------------------------------------------------------------------------
def _duration(s: str) -> dict | None:
    toks = s.split()
    out: dict = {}
    if toks and toks[0] in ("the", "this"):
        toks = toks[1:]
    if toks and toks[0] in ("past", "last", "next", "coming"):
        out["relative"] = True
        toks = toks[1:]
    qualifier = None
    for words, q in _DURATION_QUALIFIERS:
        if tuple(toks[:len(words)]) == words:
            qualifier, toks = q or None, toks[len(words):]
            break
    if toks and toks[-1] == "long":
        toks = toks[:-1]
    if not toks or toks[-1] not in DURATION_UNITS:
        return None
    unit = toks[-1]
    mult, designator = DURATION_UNITS[unit]
    count_toks = toks[:-1]
    plural = unit.endswith("s")
    if not count_toks:
        if plural:  # "years", "for decades": no count written, so no value
            return {"relative": True} if out.get("relative") else None
        n = 1
    else:
        count = " ".join(count_toks)
        if count in ("a", "an"):
            n = 1
        elif count == "a couple of":
            n = 2
            qualifier = qualifier or "about"
        elif count in _VAGUE_COUNTS:  # "a few years", "several decades": no value either
            return {"relative": True} if out.get("relative") else None
        elif re.fullmatch(r"\d+\.\d+", count):
            n = float(count)
        else:
            n = parse_cardinal(count)
            if n is None or n <= 0:
                return None
    amount = n * mult
    if isinstance(amount, float):
        amount = int(amount) if amount.is_integer() else round(amount, 3)
    out = {"duration": f"P{amount}{designator}", **({"qualifier": qualifier} if qualifier else {}), **out}
    return out


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def normalize_date(text: str, doc_date: str | None = None, reference: str | None = None) -> dict:
    """Normalize a DATE span's text; ``{}`` when it cannot be read.  ``reference`` (an ISO date,
    month or year) anchors anaphoric dates such as "a year earlier" instead of ``doc_date``."""
    if not isinstance(text, str):
        return {}
    try:
        s = _strip_prepositions(_clean(text))
        if not s:
            return {}
        anchor = _parse_anchor(doc_date)
        got = _deictic(s, anchor)
        if got is not None:
            return got
        got = _anaphoric(s, _parse_anchor(reference) or anchor)
        if got is not None:
            return got
        if _point(s) is None:
            got = _weekday_or_month(s, anchor)
            if got is not None:
                return got
        got_point = _point(s)
        if got_point is not None:
            period, part = got_point
            return {"iso": period.iso, **({"part": part} if part else {})}
        got = _interval(s, anchor)
        if got is not None:
            return got
        got = _duration(s)
        if got is not None:
            return got
        return {}
    except (ValueError, OverflowError, KeyError, IndexError):
        return {}

"""The report's own date and header: ``--doc-date`` checking, datelines, PUBLISHED stamps, front matter.

Relative dates ("last year", "on Monday") are resolved against the report's date.  When the caller
gives none (``--doc-date``), the report's first lines may carry it, as news reports and web pages do
(annotation guidelines 9.1):

* YAML front matter: a first line ``---``, then a ``date:`` (or ``published:``) key;
* a stamp at the start of a line: ``PUBLISHED: 12 March 2025``, ``Published on March 12, 2025``,
  ``Updated 2025-03-12 14:05 GMT``, ``Posted: ...``, ``Date: ...``;
* a news dateline at the start of a line: ``SEOUL, March 12, 2025 (Yonhap) --`` (city, optional
  country or region, a date, an optional agency in parentheses, then a dash); ``Seoul –`` without
  a date names the place only.

The first of these found (in that order, within the first 3,000 characters) dates the report.  Only
a day, month or year that the text states is used (the date part goes through
:func:`~nkner.pipeline.normalize.dates.normalize_date`, and dateparser reads what that does not,
e.g. a weekday or clock time around the date); nothing is invented.

The dateline's city says where the report was filed, not where anything happened: it is a
LOCATION with no relation (guidelines 9.1), and so are the dateline's DATE and agency; the
normalizer applies that to the predicted entities (:func:`header_spans`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from nkner.vocab import DASHES, MONTH_WORDS, WEEKDAY_ABBREVIATIONS, WEEKDAY_NAMES

from .dates import normalize_date

HEAD_CHARS = 3000


class DocDateError(ValueError):
    """A ``--doc-date`` that is not a real YYYY-MM-DD date."""


def parse_doc_date(text: str) -> date:
    """``YYYY-MM-DD`` as a date, or :class:`DocDateError` saying what is wrong."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not m:
        raise DocDateError(f"{text!r} is not a date in the form YYYY-MM-DD (e.g. 2025-03-12)")
    y, mo, d = (int(g) for g in m.groups())
    if not 1 <= mo <= 12:
        raise DocDateError(f"{text!r}: there is no month {mo}")
    try:
        return date(y, mo, d)
    except ValueError:
        raise DocDateError(f"{text!r}: month {mo} of {y} has no day {d}") from None


@dataclass
class ReportHeader:
    date: str | None = None                  # ISO date (day, month or year precision) of the report
    how: str | None = None                   # "front matter", "stamp" or "dateline"
    place: tuple[int, int] | None = None     # the dateline's city (character offsets)
    spans: list[tuple[int, int]] = field(default_factory=list)  # dateline/stamp parts: no relations


_STAMP = re.compile(r"^[ \t]*(?:PUBLISHED|Published|UPDATED|Updated|POSTED|Posted|Date|DATE)(?:[ \t]+(?:on|at))?"
                    r"[ \t]*:?[ \t]*(?P<date>[^\n]{4,60})$", re.M)
_FRONT = re.compile(r"\A---[ \t]*\r?\n(?P<body>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_FRONT_KEY = re.compile(r"^(?:date|published|pubdate|publication_date)[ \t]*:[ \t]*[\"']?(?P<date>[^\"'\n]+)", re.M | re.I)
_MONTH_OR_DAY = "|".join(MONTH_WORDS + WEEKDAY_NAMES + WEEKDAY_ABBREVIATIONS)
_DATELINE = re.compile(
    r"^[ \t]*(?P<city>[A-Z][A-Za-z.'\-]*(?:[ \t][A-Z][A-Za-z.'\-]*){0,2})"
    r"(?:,[ \t]*(?!(?:%s)\b)(?P<region>[A-Z][A-Za-z.]*(?:[ \t][A-Z][A-Za-z.]*){0,2}))?"
    r"(?:,[ \t]*(?P<date>(?:\d|(?:%s)\b)[A-Za-z0-9 ,.]{2,38}?))?"
    r"(?:[ \t]*\((?P<agency>[A-Z][A-Za-z.&' ]{1,40})\))?"
    r"[ \t]*(?:--|[%s])[ \t]+(?=[A-Z0-9\"“‘'])" % (_MONTH_OR_DAY, _MONTH_OR_DAY, re.escape(DASHES)), re.M)


def _day_iso(text: str) -> str | None:
    """The calendar date a stamp states (day, month or year precision), or None."""
    s = text.strip()
    m = re.match(r"(\d{4}-\d{2}-\d{2})(?:[T ]|\b)", s)
    if m:
        s = m.group(1)
    s = re.split(r"\s+(?:\d{1,2}:\d{2}|at\s|by\s|\||\()", s)[0].strip(" ,.;")
    got = normalize_date(s).get("iso")
    if got and "/" not in got and "W" not in got:
        return got
    try:
        import dateparser
    except ImportError:  # pragma: no cover - pinned dependency
        return None
    parsed = dateparser.parse(text, languages=["en"],
                              settings={"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"],
                                        "RETURN_AS_TIMEZONE_AWARE": False})
    return parsed.date().isoformat() if parsed else None


def report_header(text: str) -> ReportHeader:
    """The report's date and dateline found in its first lines (an empty header when there is none)."""
    head = text[:HEAD_CHARS]
    m = _FRONT.match(head)
    if m:
        k = _FRONT_KEY.search(m.group("body"))
        if k and (iso := _day_iso(k.group("date"))):
            start = m.start("body") + k.start("date")
            return ReportHeader(iso, "front matter", spans=[(start, start + len(k.group("date").rstrip()))])
    for m in _STAMP.finditer(head):
        if iso := _day_iso(m.group("date")):
            return ReportHeader(iso, "stamp", spans=[(m.start("date"), m.end("date"))])
    for m in _DATELINE.finditer(head):
        # a dateline opens the body: only the first few lines, and a city, not a sentence's subject
        if m.start() > 1000:
            break
        iso = _day_iso(m.group("date")) if m.group("date") else None
        if (m.group("date") and iso is None) or (iso is None and m.start() > 300):
            continue
        city = (m.start("city"), m.end("city"))
        spans = [city] + [(m.start(g), m.end(g)) for g in ("region", "date", "agency") if m.group(g)]
        return ReportHeader(iso, "dateline" if iso else None, place=city, spans=spans)
    return ReportHeader()


def report_date(text: str) -> str | None:
    """The report's date stated in its first lines (see the module docstring), or None."""
    return report_header(text).date

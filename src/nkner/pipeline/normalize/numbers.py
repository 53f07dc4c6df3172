"""Normalize the text of a NUMBER span: a value or a range, a qualifier and a unit.

``normalize_number(text)`` returns a dict with only the keys that apply:

``value``        int, or float when not integral (``"1.5"`` -> 1.5, ``"1.5 million"`` -> 1500000)
``min``/``max``  instead of ``value`` for ranges ("15 to 23", "70-80%", "between 100 and 200",
                 "two or three") and for vague amounts ("hundreds", "tens of thousands", "several")
``qualifier``    one of :data:`QUALIFIERS`
``unit``         ``"percent"``, ``"USD"``, ``"KRW"``, ``"CNY"`` or ``"fraction"``

It never raises; text it cannot read *completely* gives ``{}`` (the extractor then keeps only the
surface).  Every token of the span must be accounted for: a span with anything unknown in it
("COVID-19", "P5", "Article 33", "34,000 North Koreans", "2024,108", "six hundred and tens of
thousands") is rejected rather than half-read, so a value is never silently wrong.

Conventions
-----------
Qualifiers (the bound the words put on the true quantity relative to the stated one; the words are
:data:`nkner.vocab.LEADING_QUALIFIERS` and :data:`~nkner.vocab.TRAILING_QUALIFIERS`):

* ``more_than``  more than, over, above, exceeding, in excess of, upwards of, greater than, ``>``;
  also "just over", "well over", "slightly more than" (intensifiers do not change the class).
* ``less_than``  less than, fewer than, under, below, ``<``, and the "approach from below" words
  nearly, almost, just under, just shy of, not quite ("nearly 2,000" -> value 2000, less_than).
* ``at_least``   at least, no fewer/less than, a minimum of, ``≥``, trailing ``+``, "-plus",
  "or more", "and above", "and counting" ("1,076+" -> value 1076, at_least).
* ``at_most``    up to, as many as, as much as, at most, no more than, a maximum of, ``≤``,
  trailing "or less" / "or fewer".
* ``about``      approximately, approx., around, about, some, roughly, circa/c./ca., an estimated,
  estimated, close to, in the region of, on the order of, ``~``, ``≈``; trailing "or so", "-odd",
  "or thereabouts".  Every vague amount gets ``about`` unless the span has its own qualifier.
* neutral (no qualifier): "a total of", "only", "exactly", "just" (alone).
* "about" next to a bound ("an estimated more than 34,000") yields the bound; two different
  bounds in one span give ``{}``.

Vague amounts follow one rule: a plural of a unit means at least two of that unit and less than
the next order of magnitude.

* tens 20..99, dozens 24..99, hundreds 200..999, thousands 2000..9999, tens of thousands
  20000..99999, hundreds of thousands 200000..999999, millions 2e6..9999999, and so on.
* several = 3..9 of the unit ("several" 3..9, "several hundred" 300..900); a few = 2..5
  ("a few thousand" 2000..5000).

Fractions: "half" 0.5, "a third" 0.3333, "two thirds" 0.6667, "one in five" 0.2, "1 in 4" 0.25,
with unit ``fraction`` and values rounded to 4 decimals.  Percentages keep their figure
("75 percent" -> 75, unit percent), never 0.75.  "half a million" is the plain value 500000.

Ranges: "15 to 23", "15-23", "15–23", "between 15 and 23", "from 15 to 23", "15 or 20".  A unit or
a scale written once is shared ("70-80%", "$1-2 million" -> 1000000..2000000); the lower end must
be below the upper end.  Two bare four-digit years (1800..2099, :func:`nkner.vocab.is_year`) joined
as a range ("2020-2023") are a period, not a quantity, and give ``{}``; a lone four-digit figure
("2014") is read as a count, since the span was labelled NUMBER.

Word numbers ("two", "thirteen", "a hundred", "six hundred and ten thousand") are read by a strict
grammar here: groups below a thousand ([unit hundred] [tens [unit] | teen | unit]), each followed
by a strictly smaller scale word (thousand, million, billion).  Each group's value is computed by
``word2number`` and checked against this module's own reading; any disagreement or library error
gives ``{}``.  ``word2number`` is never given a whole phrase: it drops every word it does not know
("up to six hundred and tens of thousands" -> 600, "one point five million" -> 1), accepts
non-numbers ("twenty one hundred" -> 120) and mis-combines scales ("one million two hundred
thousand" -> 1201200).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from word2number import w2n

from nkner.vocab import DASHES, LEADING_QUALIFIERS, QUALIFIER_CLASSES, TRAILING_QUALIFIERS, is_year, qualifier_phrases

__all__ = ["QUALIFIERS", "UNITS", "normalize_number", "parse_cardinal"]

QUALIFIERS: tuple[str, ...] = QUALIFIER_CLASSES
UNITS: tuple[str, ...] = ("percent", "USD", "KRW", "CNY", "fraction")

# --------------------------------------------------------------------------------------------
# vocabulary
# --------------------------------------------------------------------------------------------
_UNIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}
_TEEN_WORDS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_SCALE_WORDS = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_NUMBER_WORDS = set(_UNIT_WORDS) | set(_TEEN_WORDS) | set(_TENS_WORDS) | {"hundred"} | set(_SCALE_WORDS)
# scales allowed after a figure written in digits ("1.5 million", "34 thousand", "5 hundred")
_DIGIT_SCALES = {"hundred": 100, **_SCALE_WORDS}

_DENOMINATORS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4,
    "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "seventh": 7, "sevenths": 7,
    "eighth": 8, "eighths": 8, "ninth": 9, "ninths": 9, "tenth": 10, "tenths": 10,
}

# plural unit words of vague amounts: word -> size of the unit
_VAGUE_PLURALS = {"tens": 10, "hundreds": 100, "thousands": 10**3, "millions": 10**6,
                  "billions": 10**9}
_VAGUE_SINGULAR = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9,
                   "dozen": 12}

_CURRENCY_PREFIX = {"usd": "USD", "krw": "KRW", "cny": "CNY", "rmb": "CNY"}
_UNIT_SUFFIX = {
    "percent": "percent", "usd": "USD", "dollar": "USD", "dollars": "USD", "krw": "KRW",
    "won": "KRW", "cny": "CNY", "rmb": "CNY", "yuan": "CNY",
}


_LEAD = qualifier_phrases(LEADING_QUALIFIERS)
_TRAIL = qualifier_phrases(TRAILING_QUALIFIERS)
_DIGITS_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


# --------------------------------------------------------------------------------------------
# text -> tokens
# --------------------------------------------------------------------------------------------
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"',
           "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'}
_OPEN = "([{\"'"
_CLOSE = ")]}\"'.,;:!?"


def fold_text(text: str) -> str:
    """NFKC, straight quotes, ASCII hyphens, single spaces, lower case (shared with dates)."""
    s = unicodedata.normalize("NFKC", text)
    for a, b in _QUOTES.items():
        s = s.replace(a, b)
    for d in DASHES:
        s = s.replace(d, "-")
    return " ".join(s.split()).lower()


def _clean(text: str) -> str:
    s = fold_text(text)
    # outer brackets, quotes and trailing punctuation (a NUMBER span never ends in them)
    changed = True
    while changed and s:
        changed = False
        if s[0] in _OPEN:
            s, changed = s[1:].lstrip(), True
        if s and s[-1] in _CLOSE:
            s, changed = s[:-1].rstrip(), True
    return s


def _tokenize(text: str) -> list[str]:
    s = _clean(text)
    # hyphens: "twenty-five", "one-third", "600-plus", "600-odd" -> words; "COVID-19" -> two tokens
    # (then rejected on "covid"); a hyphen between figures stays a range mark.
    s = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", s)
    s = re.sub(r"(?<=\d)-(?=[a-z])", " ", s)
    s = re.sub(r"(?<=[a-z])-(?=\d)", " ", s)
    s = s.replace("-", " - ")
    # currencies, percent and abbreviations
    s = re.sub(r"u\.s\.\s*\$|us\s*\$", " usd ", s)
    s = re.sub(r"\b(?:u\.s\.|us|american)\s+dollars?\b", " usd ", s)
    s = re.sub(r"\bsouth korean won\b", " krw ", s)
    s = re.sub(r"\bchinese yuan\b", " cny ", s)
    s = s.replace("$", " usd ").replace("₩", " krw ").replace("%", " percent ")
    s = re.sub(r"\bper\s*cent\b|\bpct\b", " percent ", s)
    s = re.sub(r"\bapprox\.", "approximately ", s)
    s = re.sub(r"\b(?:c|ca)\.\s*(?=\d)", "circa ", s)
    s = re.sub(r"\best\.", "estimated ", s)
    s = re.sub(r"(?<=\d)\s*bn\b", " billion", s)
    s = s.replace(">=", " ≥ ").replace("<=", " ≤ ")
    return re.findall(r"\d[\d,]*(?:\.\d+)?|[a-z]+|\S", s)


# --------------------------------------------------------------------------------------------
# word numbers
# --------------------------------------------------------------------------------------------
def _group(words: list[str], i: int) -> tuple[int, int] | None:
    """A group below a thousand at ``words[i]``: [unit hundred] [tens [unit] | teen | unit]."""
    value, start = 0, i
    if i + 1 < len(words) and words[i] in _UNIT_WORDS and words[i] != "zero" and words[i + 1] == "hundred":
        value, i = _UNIT_WORDS[words[i]] * 100, i + 2
    if i < len(words) and words[i] in _TENS_WORDS:
        value, i = value + _TENS_WORDS[words[i]], i + 1
        if i < len(words) and words[i] in _UNIT_WORDS and words[i] != "zero":
            value, i = value + _UNIT_WORDS[words[i]], i + 1
    elif i < len(words) and (words[i] in _TEEN_WORDS or (words[i] in _UNIT_WORDS and words[i] != "zero")):
        value, i = value + {**_TEEN_WORDS, **_UNIT_WORDS}[words[i]], i + 1
    return (value, i) if i > start else None


def _group_value(words: list[str]) -> int | None:
    """Value of one group below a thousand ("six hundred ten"): the strict grammar and
    word2number must agree, else None."""
    g = _group(words, 0)
    if g is None or g[1] != len(words):
        return None
    try:
        theirs = w2n.word_to_num(" ".join(words))
    except Exception:  # noqa: BLE001 - the library raises ValueError and worse on odd input
        return None
    return g[0] if theirs == g[0] else None


def _words_value(words: list[str]) -> int | None:
    """Value of number words ("and" removed, a leading "a" made "one"), or None.

    The structure (groups below a thousand, each followed by a strictly smaller scale word) is
    parsed here; each group's value comes from word2number and is checked against this module's
    own reading of it.  word2number is not given whole phrases: it drops unknown words and
    mis-combines scales ("one million two hundred thousand" -> 1201200).
    """
    if words == ["zero"]:
        return 0
    total, i, last_scale = 0, 0, None
    while i < len(words):
        g = _group(words, i)
        if g is None:
            return None
        value = _group_value(words[i:g[1]])
        if value is None:
            return None
        i = g[1]
        if i < len(words) and words[i] in _SCALE_WORDS:
            scale = _SCALE_WORDS[words[i]]
            if last_scale is not None and scale >= last_scale:
                return None
            total, last_scale, i = total + value * scale, scale, i + 1
        else:
            if i != len(words):
                return None
            total += value
    return total


# --------------------------------------------------------------------------------------------
# parser
# --------------------------------------------------------------------------------------------
class _Fail(Exception):
    pass


@dataclass
class _Quantity:
    lo: Decimal
    hi: Decimal
    unit: str | None = None
    vague: bool = False
    scale: Decimal = Decimal(1)  # the scale word applied ("million" -> 10**6), 1 when none
    raw: str | None = None  # the digit token when the amount is a bare figure


class _Parser:
    def __init__(self, tokens: list[str]):
        self.t = tokens
        self.i = 0

    # helpers
    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def at(self, phrase: tuple[str, ...]) -> bool:
        return tuple(self.t[self.i:self.i + len(phrase)]) == phrase

    def at_any(self, table: list[tuple[tuple[str, ...], str]]) -> bool:
        return any(self.at(phrase) for phrase, _ in table)

    def match_table(self, table: list[tuple[tuple[str, ...], str]]) -> str | None:
        for phrase, q in table:
            if self.at(phrase):
                self.i += len(phrase)
                return q
        return None

    # grammar
    def number(self) -> tuple[Decimal, str | None, int] | None:
        """A figure or number words at the cursor: (value, digit token or None, scale), where
        scale is the scale word that ends a word number with no other scale ("three million" ->
        10**6), else 1."""
        tok = self.peek()
        if tok is None:
            return None
        if tok[0].isdigit():
            if not _DIGITS_RE.match(tok):
                raise _Fail
            self.i += 1
            return Decimal(tok.replace(",", "")), tok, 1
        words: list[str] = []
        j = self.i
        while j < len(self.t):
            w = self.t[j]
            nxt = self.t[j + 1] if j + 1 < len(self.t) else None
            if w in _NUMBER_WORDS:
                words.append(w)
            elif w in ("a", "an") and not words and nxt in ("hundred", "dozen", *_SCALE_WORDS):
                words.append("one")
            elif w == "and" and words and nxt in _NUMBER_WORDS:
                pass
            else:
                break
            j += 1
        if not words:
            return None
        value = _words_value(words)
        if value is None:
            raise _Fail
        self.i = j
        scales = [w for w in words if w in _SCALE_WORDS]
        scale = _SCALE_WORDS[words[-1]] if scales == words[-1:] else 1
        return Decimal(value), None, scale

    def quantity(self) -> _Quantity:
        unit = None
        if self.peek() in _CURRENCY_PREFIX:
            unit = _CURRENCY_PREFIX[self.t[self.i]]
            self.i += 1
        q = self.vague() or self.fraction() or self.plain()
        if q is None:
            raise _Fail
        suffix = self.peek()
        if suffix in _UNIT_SUFFIX:
            if q.unit == "fraction":
                raise _Fail
            if unit is not None and unit != _UNIT_SUFFIX[suffix]:
                raise _Fail
            unit = _UNIT_SUFFIX[suffix]
            self.i += 1
        if unit is not None:
            if q.unit is not None:
                raise _Fail
            q.unit = unit
        return q

    def vague(self) -> _Quantity | None:
        start = self.i
        lo_k = hi_k = None
        if self.peek() == "several":
            lo_k, hi_k, self.i = 3, 9, self.i + 1
        elif self.at(("a", "few")):
            lo_k, hi_k, self.i = 2, 5, self.i + 2
        if lo_k is not None:
            size = 1
            while self.peek() in _VAGUE_SINGULAR:
                nxt = _VAGUE_SINGULAR[self.t[self.i]]
                if size > 1 and (nxt <= size or nxt == 12):
                    raise _Fail
                size, self.i = size * nxt, self.i + 1
            return _Quantity(Decimal(lo_k * size), Decimal(hi_k * size), vague=True)
        tok = self.peek()
        if tok == "dozens":
            self.i += 1
            return _Quantity(Decimal(24), Decimal(99), vague=True)
        if tok in _VAGUE_PLURALS:
            size = _VAGUE_PLURALS[tok]
            self.i += 1
            if self.peek() == "of" and self.peek(1) in _VAGUE_PLURALS and _VAGUE_PLURALS[self.peek(1)] > 10 ** 2 \
                    and size in (10, 100):
                base = _VAGUE_PLURALS[self.t[self.i + 1]]
                self.i += 2
            else:
                base = 1
            return _Quantity(Decimal(2 * size * base), Decimal(10 * size * base - 1), vague=True)
        self.i = start
        return None

    def fraction(self) -> _Quantity | None:
        start = self.i
        tok = self.peek()
        num = None
        if tok == "half":
            num, den = 1, 2
            self.i += 1
        elif tok in ("a", "an", "one") and self.peek(1) in _DENOMINATORS:
            num, den = 1, _DENOMINATORS[self.t[self.i + 1]]
            self.i += 2
        if num is None:
            return None
        value = Decimal(num) / Decimal(den)
        # "half a million", "a quarter of a million", "half a dozen"
        if self.at(("a",)) or self.at(("of", "a")):
            k = 1 if self.at(("a",)) else 2
            scale = self.peek(k)
            if scale in _VAGUE_SINGULAR:
                self.i += k + 1
                v = value * _VAGUE_SINGULAR[scale]
                return _Quantity(v, v)
            self.i = start
            raise _Fail
        return _Quantity(value, value, unit="fraction")

    def plain(self) -> _Quantity | None:
        got = self.number()
        if got is None:
            return None
        value, raw, word_scale = got
        scale = Decimal(1)
        if raw is not None and self.peek() in _DIGIT_SCALES:
            scale = Decimal(_DIGIT_SCALES[self.t[self.i]])
            self.i += 1
        if self.peek() == "dozen":
            scale *= 12
            self.i += 1
        scaled = scale != 1
        if scaled:
            value, raw = value * scale, None
        # "two thirds", "3 quarters"
        if self.peek() in _DENOMINATORS and not scaled:
            den = _DENOMINATORS[self.t[self.i]]
            if not (0 < value < den) or value != value.to_integral_value():
                raise _Fail
            self.i += 1
            frac = value / den
            return _Quantity(frac, frac, unit="fraction")
        # "one in five", "1 out of every 4"
        if self.peek() == "in" or self.at(("out", "of")):
            self.i += 1 if self.peek() == "in" else 2
            if self.peek() == "every":
                self.i += 1
            got2 = self.number()
            if got2 is None or scaled:
                raise _Fail
            den = got2[0]
            if not (0 < value < den):
                raise _Fail
            frac = value / den
            return _Quantity(frac, frac, unit="fraction")
        return _Quantity(value, value, scale=scale * word_scale, raw=raw)

    def parse(self) -> dict:
        qualifiers: list[str] = []
        while True:
            q = self.match_table(_LEAD)
            if q is None:
                break
            if q:
                qualifiers.append(q)
        first = self.peek()
        connectors = {"between": ("and", "-"), "from": ("to", "-")}.get(first, ("-", "to", "or"))
        if first in ("between", "from"):
            self.i += 1
        a = self.quantity()
        b = None
        if self.peek() is not None and not self.at_any(_TRAIL):
            if self.peek() not in connectors:
                raise _Fail
            self.i += 1
            b = self.quantity()
        if first in ("between", "from") and b is None:
            raise _Fail
        # trailing qualifiers ("+", "or more", "or so", "-odd")
        while self.peek() is not None:
            q = self.match_table(_TRAIL)
            if q is None:
                raise _Fail
            qualifiers.append(q)
        return self.build(a, b, qualifiers)

    @staticmethod
    def build(a: _Quantity, b: _Quantity | None, qualifiers: list[str]) -> dict:
        bounds = set(qualifiers) - {"about"}
        if len(bounds) > 1:
            raise _Fail
        qualifier = bounds.pop() if bounds else ("about" if "about" in qualifiers else None)
        if b is None:
            lo, hi, unit, vague = a.lo, a.hi, a.unit, a.vague
        else:
            if a.raw and b.raw and is_year(a.raw) and is_year(b.raw):
                raise _Fail  # "2020-2023": a period, not a quantity
            if a.unit and b.unit and a.unit != b.unit:
                raise _Fail
            unit = a.unit or b.unit
            if (a.unit == "fraction") != (b.unit == "fraction") and unit == "fraction":
                raise _Fail
            lo, hi = a.lo, b.hi
            # a scale written once on the upper end: "2-3 million", "$1-2 billion"
            if b.scale != 1 and a.scale == 1 and not a.vague and a.unit != "fraction" \
                    and a.lo < b.lo / b.scale:
                lo = a.lo * b.scale
            if not lo < hi:
                raise _Fail
            vague = a.vague or b.vague
        if vague and qualifier is None:
            qualifier = "about"
        out: dict = {}
        if lo == hi:
            out["value"] = _num(lo, unit)
        else:
            out["min"], out["max"] = _num(lo, unit), _num(hi, unit)
        if qualifier:
            out["qualifier"] = qualifier
        if unit:
            out["unit"] = unit
        return out


def _num(d: Decimal, unit: str | None) -> int | float:
    if unit == "fraction":
        return round(float(d), 4)
    if d == d.to_integral_value():
        return int(d)
    return float(d)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def normalize_number(text: str) -> dict:
    """Normalize a NUMBER span's text; ``{}`` when it cannot be read completely."""
    if not isinstance(text, str):
        return {}
    try:
        tokens = _tokenize(text)
        if not tokens:
            return {}
        return _Parser(tokens).parse()
    except (_Fail, InvalidOperation, ArithmeticError, ValueError):
        return {}


def parse_cardinal(text: str) -> int | None:
    """A plain cardinal in figures or words ("45", "1,076", "three", "a hundred"), else None.

    No qualifiers, units, ranges or fractions: used by the date normalizer for counts of units.
    """
    if not isinstance(text, str):
        return None
    try:
        tokens = _tokenize(text)
        p = _Parser(tokens)
        got = p.number()
        if got is None or p.i != len(tokens):
            return None
        value = got[0]
        if value != value.to_integral_value():
            return None
        return int(value)
    except (_Fail, InvalidOperation, ArithmeticError, ValueError):
        return None

"""The hand-written patterns the shipped pipeline runs (nothing learned, nothing fitted to the gold).

* :class:`PatternRules` (factory ``nkner_pattern_rules``): NUMBER and DATE spans set before the NER,
  for the labels its config names (the default model names none: configs/smner.cfg);
* :data:`EVENT_LEXICON`: event-trigger stems per event type, a feature of the event typer
  (:mod:`nkner.pipeline.features`).

Months, years, dashes and qualifier words come from :mod:`nkner.vocab`.  The evaluation's
rules-only baseline, which builds on these, is :mod:`nkner.training.baseline`.
"""

from spacy.language import Language
from spacy.tokens import Doc, Span

import nkner.pipeline.extensions  # noqa: F401
from nkner.vocab import DASHES, DECADE_PATTERN, DURATION_UNITS, MONTH_ABBREVIATIONS, MONTH_WORDS, YEAR_PATTERN, span_opening_qualifiers

EVENT_LEXICON = {
    "repatriation": ["repatriat", "deport", "refoul", "forcibly return", "forced return", "sent back",
                     "sending back", "send back", "handed back", "expel", "expuls"],
    "flight": ["fled", "flee", "escap", "defect", "crossed", "crossing", "smuggl", "resettl", "exodus"],
    "detention": ["detain", "detention", "arrest", "captur", "crackdown", "round-up", "raid", "caught"],
    "abuse": ["tortur", "execut", "imprison", "forced labor", "forced labour", "sexual violence",
              "persecut", "abuse", "punish", "killing", "infanticide", "forced abortion", "violence"],
    "trafficking": ["traffick", "forced marriage", "sold", "prostitution"],
    "crisis": ["famine", "pandemic", "war", "crisis", "starvation", "food shortage", "border closure"],
    "legal_action": ["ruling", "ruled", "convicted", "verdict", "resolution", "review", "inquiry",
                     "asylum", "decree", "sanction"],
    "advocacy": ["urge", "urging", "condemn", "appeal", "warn", "protest", "petition", "testif",
                 "campaign", "called on", "call on", "calls on", "called for", "open letter"],
}

#: the words that bound or approximate a quantity and open its span, as token sequences ("more than",
#: "up to", "estimated": the annotation's NUMBER and duration DATE spans include them)
QUALIFIERS = [phrase.split() for phrase in span_opening_qualifiers()]
#: abbreviated months with their full stop, one token each in spaCy's English tokenizer ("Mar. 26, 2010")
MONTHS_DOTTED = [f"{abbr}." for abbr in MONTH_ABBREVIATIONS]
DASH = {"ORTH": {"IN": list(DASHES)}}
YEAR = {"TEXT": {"REGEX": f"^{YEAR_PATTERN}$"}}
DECADE = {"TEXT": {"REGEX": f"^{DECADE_PATTERN}$"}}
#: digits that are not a year ("600", "34,000", "1,076+", "2.5")
COUNT_DIGITS = {"TEXT": {"REGEX": rf"^(?!{YEAR_PATTERN}$)\d[\d,.]*\+?$"}}


def number_patterns() -> list[dict]:
    """NUMBER patterns (digits or number words, with qualifier words); years are excluded."""
    pats = []
    for q in QUALIFIERS + [[]]:
        pats.append({"label": "NUMBER", "pattern": [{"LOWER": w} for w in q] +
                     [COUNT_DIGITS,
                      {"LOWER": {"IN": ["percent", "%", "million", "thousand", "hundred", "billion"]}, "OP": "?"}]})
        pats.append({"label": "NUMBER", "pattern": [{"LOWER": w} for w in q] +
                     [{"LOWER": {"IN": ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                        "eleven", "twelve", "twenty", "thirty", "forty", "fifty", "hundred",
                                        "hundreds", "thousands", "dozens"]}},
                      {"LOWER": {"IN": ["hundred", "thousand", "million"]}, "OP": "?"}]})
        pats.append({"label": "NUMBER", "pattern": [{"LOWER": w} for w in q] +
                     [{"ORTH": "$"}, {"TEXT": {"REGEX": r"^\d[\d,.]*$"}},
                      {"LOWER": {"IN": ["million", "billion"]}, "OP": "?"}]})
    pats.append({"label": "NUMBER", "pattern": [{"LOWER": {"IN": ["tens", "hundreds"]}}, {"LOWER": "of"},
                                                {"LOWER": {"IN": ["thousands", "millions"]}}]})
    pats.append({"label": "NUMBER", "pattern": [{"TEXT": {"REGEX": r"^\d+$"}}, DASH,
                                                {"TEXT": {"REGEX": r"^\d+$"}}, {"ORTH": "%"}]})
    count = {"TEXT": {"REGEX": rf"^(?!{YEAR_PATTERN}$)\d[\d,]*$"}}
    pats.append({"label": "NUMBER", "pattern": [count, {"LOWER": {"IN": ["to", *DASHES]}}, count]})
    pats.append({"label": "NUMBER", "pattern": [{"LOWER": "between"}, count, {"LOWER": "and"}, count]})
    return pats


def date_patterns() -> list[dict]:
    """DATE patterns for the forms a statistical NER splits or misses: full dates, reference-list
    dates, seasons, decades, year ranges, durations and relative periods.  Bare years are left to
    the NER (they are often part of a name: "the 2012 UNGA resolution")."""
    year, dash = YEAR, DASH
    month = {"ORTH": {"IN": [*MONTH_WORDS, *MONTHS_DOTTED]}}
    day = {"TEXT": {"REGEX": r"^([1-9]|[12]\d|3[01])$"}}
    amount = {"TEXT": {"REGEX": r"^(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                                r"fifteen|twenty|thirty|forty|fifty|several|few|many)$"}}
    unit = {"LOWER": {"IN": list(DURATION_UNITS)}}
    pats = [
        [month, day, {"ORTH": ","}, year], [month, day, year], [day, month, year], [month, year],
        [month, day], [day, month],  # "Oct. 13 (Yonhap)", "on 27 May": a news dateline or date in the year
        [{"TEXT": {"REGEX": rf"^([1-9]|[12]\d|3[01])/(0?[1-9]|1[0-2])/{YEAR_PATTERN}$"}}],  # 16/02/2012
        [year, {"ORTH": ","}, month, day], [year, {"ORTH": ","}, month],
        [{"LOWER": {"IN": ["spring", "summer", "autumn", "fall", "winter"]}}, year],
        [DECADE],
        [{"LOWER": {"IN": ["early", "mid", "late"]}}, dict(dash, OP="?"), year],
        [{"LOWER": {"IN": ["early", "mid", "late"]}}, dict(dash, OP="?"), DECADE],
        [year, dash, year],
        [{"LOWER": {"IN": ["past", "last", "next", "coming"]}}, {"LOWER": {"IN": ["few", "several", "two", "three"]}, "OP": "?"},
         {"LOWER": {"IN": ["years", "decades", "months", "weeks", "year", "decade", "month"]}}],
        [{"LOWER": {"IN": ["last", "this", "next"]}}, {"LOWER": {"IN": ["year", "month", "week"]}}],
        [{"LOWER": "recent"}, {"LOWER": "years"}],
        [{"TEXT": {"REGEX": r"^\d+$"}}, dash, {"LOWER": {"IN": ["day", "week", "month", "year"]}},
         {"LOWER": "period", "OP": "?"}],
    ]
    for q in QUALIFIERS + [[]]:  # durations: "nearly three decades", "over a year", "five years"
        qualifier = [{"LOWER": w} for w in q]
        pats += [qualifier + [amount, unit],
                 qualifier + [{"LOWER": {"IN": ["a", "one"]}}, {"LOWER": {"IN": ["year", "decade", "month"]}}]]
    return [{"label": "DATE", "pattern": p} for p in pats]


NOT_A_COUNT_BEFORE = {"vol", "no", "pp", "p", "article", "art", "rule", "para",
                      "paragraph", "chapter", "section", "page", "resolution", "covid"}


class PatternRules:
    """NUMBER spans from :func:`number_patterns` and DATE spans from :func:`date_patterns`, set
    before the NER (which keeps them and predicts around them); the labels are configurable.  Skipped: footnote markers glued to a word or punctuation ("return.8"), numbers
    after "Vol.", "No.", "pp.", "Article", "Rule" (identifiers, not counts), and numbers followed by
    a calendar unit ("three decades" is a DATE duration)."""

    def __init__(self, nlp: Language, name: str = "pattern_rules", labels: tuple[str, ...] = ("NUMBER", "DATE")):
        from spacy.matcher import Matcher

        self.name = name
        self.labels = tuple(labels)
        self.matcher = Matcher(nlp.vocab)
        if "NUMBER" in self.labels:
            self.matcher.add("NUMBER", [p["pattern"] for p in number_patterns()])
        if "DATE" in self.labels:
            self.matcher.add("DATE", [p["pattern"] for p in date_patterns()], greedy="LONGEST")

    def __call__(self, doc: Doc) -> Doc:
        from spacy.util import filter_spans

        if not self.labels:  # configured with no labels: the NER alone decides
            return doc
        spans = []
        for match_id, start, end in self.matcher(doc):
            label = doc.vocab.strings[match_id]
            if label == "DATE":
                spans.append(Span(doc, start, end, label="DATE"))
                continue
            first = doc[start]
            prev = start - 1
            while prev > 0 and doc[prev].text == ".":
                prev -= 1
            if start > 0 and (not doc[start - 1].whitespace_ or doc[prev].lower_.rstrip(".") in NOT_A_COUNT_BEFORE):
                continue
            if end < len(doc) and (doc[end].lower_ in DURATION_UNITS or doc[end].text in DASHES
                                   and end + 1 < len(doc) and doc[end + 1].lower_ in DURATION_UNITS):
                continue
            if end - start == 1 and first.is_digit and len(first.text) <= 2 and start > 0 \
                    and doc[start - 1].is_punct and doc[start - 1].text not in ("(", "“", "\""):
                continue
            spans.append(Span(doc, start, end, label="NUMBER"))
        taken = {t.i for e in doc.ents for t in e}
        new = [s for s in filter_spans(spans) if not any(t.i in taken for t in s)]
        if new:
            doc.ents = list(doc.ents) + new
        return doc

    def to_disk(self, path, exclude=tuple()):
        pass

    def from_disk(self, path, exclude=tuple()):
        return self


@Language.factory("nkner_pattern_rules", assigns=["doc.ents"], default_config={"labels": ["NUMBER", "DATE"]})
def make_pattern_rules(nlp: Language, name: str, labels: list[str]) -> PatternRules:
    return PatternRules(nlp, name, tuple(labels))

"""A rules-only system: the evaluation's baseline row (hand-written patterns, nothing learned).

Entity patterns (spaCy ``EntityRuler``) for the six labels, an event-trigger lexicon with event
types, and nearest-neighbour relation heuristics within a sentence.  The patterns were written from
the specification and general knowledge of the domain, not fitted to the gold.
"""

from spacy.language import Language
from spacy.tokens import Doc, Span

import nkner.pipeline.extensions  # noqa: F401

COUNTRIES = ["China", "North Korea", "South Korea", "Russia", "Mongolia", "Vietnam", "Laos", "Thailand",
             "Myanmar", "Japan", "United States", "DPRK", "ROK", "PRC", "Cambodia"]
CAPITALS = ["Beijing", "Pyongyang", "Seoul", "Moscow", "Washington"]
PLACES = ["Jilin", "Liaoning", "Yanbian", "Tumen", "Yalu", "Dandong", "Shenyang", "Hyesan", "Sinuiju",
          "North Hamgyong", "Ryanggang", "Manchuria", "Korean Peninsula"]
ORGS = ["UNHCR", "UN", "United Nations", "Human Rights Watch", "Amnesty International", "COI",
        "UN Human Rights Council", "Human Rights Council", "UN General Assembly", "General Assembly",
        "UNGA", "Commission of Inquiry", "UN Commission of Inquiry", "Security Council", "HRNK",
        "Ministry of Unification", "Ministry of People's Security", "Ministry of State Security",
        "Workers' Party of Korea", "Reuters", "UN Refugee Agency"]
GROUPS = ["refugees", "escapees", "defectors", "migrants", "returnees", "women", "children", "brokers",
          "traffickers", "border guards", "police", "authorities", "government", "officials", "regime",
          "North Koreans", "workers", "fishermen", "detainees", "asylum-seekers", "asylum seekers"]
NATIONALITY = ["North Korean", "South Korean", "Chinese", "Russian", "Korean"]
INSTRUMENT_HEADS = ["Convention", "Protocol", "Agreement", "Law", "Treaty", "Resolution", "Covenant"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
          "Sept", "Oct", "Nov", "Dec"]
# abbreviated months with their full stop, one token each in spaCy's English tokenizer ("Mar. 26, 2010")
MONTHS_DOTTED = ["Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec."]
QUALIFIERS = [["more", "than"], ["up", "to"], ["at", "least"], ["at", "most"], ["over"], ["nearly"],
              ["about"], ["around"], ["approximately"], ["some"], ["almost"], ["fewer", "than"],
              ["less", "than"], ["as", "many", "as"]]
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


def _phrase(text: str, label: str) -> dict:
    return {"label": label, "pattern": [{"ORTH": w} for w in text.split()]}


def number_patterns() -> list[dict]:
    """NUMBER patterns (digits or number words, with qualifier words); years are excluded."""
    pats = []
    for q in QUALIFIERS + [[]]:
        pats.append({"label": "NUMBER", "pattern": [{"LOWER": w} for w in q] +
                     [{"TEXT": {"REGEX": r"^(?!(1[89]|20)\d\d$)\d[\d,.]*\+?$"}},
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
    pats.append({"label": "NUMBER", "pattern": [{"TEXT": {"REGEX": r"^\d+$"}}, {"ORTH": {"IN": ["-", "–"]}},
                                                {"TEXT": {"REGEX": r"^\d+$"}}, {"ORTH": "%"}]})
    count = {"TEXT": {"REGEX": r"^(?!(1[89]|20)\d\d$)\d[\d,]*$"}}
    pats.append({"label": "NUMBER", "pattern": [count, {"LOWER": {"IN": ["to", "-", "–"]}}, count]})
    pats.append({"label": "NUMBER", "pattern": [{"LOWER": "between"}, count, {"LOWER": "and"}, count]})
    return pats


def date_patterns() -> list[dict]:
    """DATE patterns for the forms a statistical NER splits or misses: full dates, reference-list
    dates, seasons, decades, year ranges, durations and relative periods.  Bare years are left to
    the NER (they are often part of a name: "the 2012 UNGA resolution")."""
    year = {"TEXT": {"REGEX": r"^(1[89]|20)\d\d$"}}
    month = {"ORTH": {"IN": MONTHS + MONTHS_DOTTED}}
    day = {"TEXT": {"REGEX": r"^([1-9]|[12]\d|3[01])$"}}
    dash = {"ORTH": {"IN": ["-", "–", "—"]}}
    amount = {"TEXT": {"REGEX": r"^(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                                r"fifteen|twenty|thirty|forty|fifty|several|few|many)$"}}
    unit = {"LOWER": {"IN": ["years", "decades", "months", "weeks", "days", "year", "decade", "month",
                             "week", "day", "centuries", "century"]}}
    approx = {"LOWER": {"IN": ["nearly", "almost", "about", "around", "over", "some", "roughly"]}, "OP": "?"}
    pats = [
        [month, day, {"ORTH": ","}, year], [month, day, year], [day, month, year], [month, year],
        [month, day], [day, month],  # "Oct. 13 (Yonhap)", "on 27 May": a news dateline or date in the year
        [{"TEXT": {"REGEX": r"^([1-9]|[12]\d|3[01])/(0?[1-9]|1[0-2])/(1[89]|20)\d\d$"}}],  # 16/02/2012
        [year, {"ORTH": ","}, month, day], [year, {"ORTH": ","}, month],
        [{"LOWER": {"IN": ["spring", "summer", "autumn", "fall", "winter"]}}, year],
        [{"TEXT": {"REGEX": r"^(1[89]|20)\d0s$"}}],
        [{"LOWER": {"IN": ["early", "mid", "late"]}}, {"ORTH": "-", "OP": "?"}, year],
        [{"LOWER": {"IN": ["early", "mid", "late"]}}, {"ORTH": "-", "OP": "?"}, {"TEXT": {"REGEX": r"^(1[89]|20)\d0s$"}}],
        [year, dash, year],
        [approx, amount, unit],
        [approx, {"LOWER": {"IN": ["a", "one"]}}, {"LOWER": {"IN": ["year", "decade", "month"]}}],
        [{"LOWER": {"IN": ["past", "last", "next", "coming"]}}, {"LOWER": {"IN": ["few", "several", "two", "three"]}, "OP": "?"},
         {"LOWER": {"IN": ["years", "decades", "months", "weeks", "year", "decade", "month"]}}],
        [{"LOWER": {"IN": ["last", "this", "next"]}}, {"LOWER": {"IN": ["year", "month", "week"]}}],
        [{"LOWER": "recent"}, {"LOWER": "years"}],
        [{"TEXT": {"REGEX": r"^\d+$"}}, {"ORTH": "-"}, {"LOWER": {"IN": ["day", "week", "month", "year"]}},
         {"LOWER": "period", "OP": "?"}],
    ]
    return [{"label": "DATE", "pattern": p} for p in pats]


NOT_A_COUNT_BEFORE = {"vol", "no", "pp", "p", "article", "art", "rule", "para",
                      "paragraph", "chapter", "section", "page", "resolution", "covid"}
DURATION_UNITS = {"year", "years", "decade", "decades", "month", "months", "week", "weeks", "day", "days",
                  "century", "centuries"}


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
            if end < len(doc) and (doc[end].lower_ in DURATION_UNITS or doc[end].text in ("-", "–")
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


def patterns() -> list[dict]:
    pats: list[dict] = []
    for org in ORGS:
        pats.append(_phrase(org, "ACTOR"))
    for g in GROUPS:
        pats.append({"label": "ACTOR", "pattern": [{"LOWER": w} for w in g.split()]})
        for nat in NATIONALITY:
            pats.append({"label": "ACTOR", "pattern": [{"ORTH": w} for w in nat.split()] +
                         [{"LOWER": w} for w in g.split()]})
    for c in COUNTRIES + CAPITALS:
        pats.append(_phrase(c, "ACTOR"))
    for p in PLACES:
        pats.append(_phrase(p, "LOCATION"))
    for head in INSTRUMENT_HEADS:
        pats.append({"label": "LEGAL_INSTRUMENT", "pattern": [{"SHAPE": "dddd", "OP": "?"},
                                                              {"IS_TITLE": True, "OP": "*"}, {"ORTH": head},
                                                              {"LOWER": {"IN": ["of", "against", "relating", "related"]}, "OP": "?"},
                                                              {"IS_TITLE": True, "OP": "*"}]})
    pats.append({"label": "LEGAL_INSTRUMENT", "pattern": [{"ORTH": "Article"}, {"IS_DIGIT": True}]})
    year = {"TEXT": {"REGEX": r"^(1[89]|20)\d\d$"}}
    pats += [
        {"label": "DATE", "pattern": [{"ORTH": {"IN": MONTHS}}, {"IS_DIGIT": True, "OP": "?"},
                                      {"ORTH": ",", "OP": "?"}, year]},
        {"label": "DATE", "pattern": [year, {"ORTH": {"IN": ["-", "–"]}}, year]},
        {"label": "DATE", "pattern": [{"TEXT": {"REGEX": r"^(1[89]|20)\d0s$"}}]},
        {"label": "DATE", "pattern": [{"LOWER": {"IN": ["early", "mid", "late"]}}, year]},
        {"label": "DATE", "pattern": [year]},
    ]
    pats += number_patterns()
    for etype, stems in EVENT_LEXICON.items():
        for stem in stems:
            words = stem.split()
            if len(words) == 1:
                pats.append({"label": "EVENT", "id": etype,
                             "pattern": [{"LOWER": {"IN": ["forcibly", "forced", "mass", "public"]}, "OP": "?"},
                                         {"LOWER": {"REGEX": f"^{words[0]}"}}]})
            else:
                pats.append({"label": "EVENT", "id": etype, "pattern": [{"LOWER": {"REGEX": f"^{w}"}} for w in words]})
    return pats


@Language.component("nkner_rule_roles", assigns=["doc.ents", "span._.event_type", "doc._.relations"])
def rule_roles(doc: Doc) -> Doc:
    """Countries after a locative preposition become LOCATION; EVENT types from the lexicon match;
    relations by proximity within the sentence."""
    ents = []
    for e in doc.ents:
        if e.label_ == "ACTOR" and e.text in COUNTRIES and e.start > 0 and \
                doc[e.start - 1].lower_ in ("in", "to", "from", "into", "across", "within", "inside", "near"):
            e = doc.char_span(e.start_char, e.end_char, label="LOCATION")
        ents.append(e)
    doc.ents = ents
    for e in doc.ents:
        if e.label_ == "EVENT":
            e._.event_type = e.ent_id_ or "abuse"
    rels = []
    for sent in doc.sents:
        se = [e for e in doc.ents if e.start >= sent.start and e.end <= sent.end]
        for ev in (e for e in se if e.label_ == "EVENT"):
            before = [e for e in se if e.label_ == "ACTOR" and e.end <= ev.start]
            after = [e for e in se if e.label_ == "ACTOR" and e.start >= ev.end]
            if before:
                rels.append((ev, before[-1], "agent"))
            if after:
                rels.append((ev, after[0], "affected"))
            for lab, rtype in (("DATE", "time"), ("LOCATION", "place"), ("LEGAL_INSTRUMENT", "instrument")):
                cands = [e for e in se if e.label_ == lab]
                if cands:
                    near = min(cands, key=lambda c: abs(c.start - ev.start))
                    rels.append((ev, near, rtype))
        for num in (e for e in se if e.label_ == "NUMBER"):
            nxt = [e for e in se if e.label_ in ("ACTOR", "EVENT") and 0 <= e.start - num.end <= 3]
            if nxt:
                rels.append((num, nxt[0], "quantity"))
    doc._.relations = [{"head": [h.start_char, h.end_char], "tail": [t.start_char, t.end_char], "type": r,
                        "score": 1.0} for h, t, r in rels]
    return doc


def build_rules_nlp() -> Language:
    import spacy

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "nkner.Tokenizer.v1"}}})
    nlp.add_pipe("nkner_sentences")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(patterns())
    nlp.add_pipe("nkner_rule_roles")
    return nlp

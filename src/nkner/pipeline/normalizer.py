"""The normalization component: canonical names, number values and ISO dates on entity spans, and the
report's header (its date, and a dateline's place without relations)."""

import re

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

import nkner.pipeline.extensions  # noqa: F401

NAMED = ("ACTOR", "LEGAL_INSTRUMENT", "LOCATION")
#: words after a DATE span that make a duration-looking span ("a year") a relative date ("a year earlier")
RELATIVE_AFTER = {"earlier", "ago", "later", "before", "after", "prior", "afterwards"}
#: what follows a dateline's place before the report's first word: an optional ", date" and
#: "(agency)", then a dash or colon (the dateline itself is found by report_date.report_header)
DATELINE_TAIL = re.compile(r"(?:,[^\n(\-\u2013\u2014]{0,40})?\s*(?:\([^)\n]{0,40}\)\s*)?(?:--|[-\u2013\u2014:])?\s*")


class Normalizer:
    """Sets ``span._.canonical`` (ACTOR, LEGAL_INSTRUMENT, LOCATION) and ``span._.norm`` (NUMBER,
    DATE; relative dates resolved against ``doc._.doc_date``, else the date the report states in its
    dateline, PUBLISHED stamp or front matter, see :mod:`nkner.pipeline.normalize.report_date`).
    A dateline's city becomes a LOCATION, and the dateline's parts lose their relations (guidelines
    9.1: they say where and when the report was filed, not where or when anything happened);
    ``self.header_misaligned`` counts dateline cities that did not align with tokens."""

    def __init__(self, nlp: Language, name: str = "nkner_normalizer"):
        self.name = name
        self.header_misaligned = 0

    def __call__(self, doc: Doc) -> Doc:
        from nkner.pipeline.normalize import canonical_name, normalize_date, normalize_number
        from nkner.pipeline.normalize.report_date import report_header

        header = report_header(doc.text)
        if doc._.doc_date is None and header.date:
            doc._.doc_date = header.date
        if header.spans:
            self._apply_header(doc, header)
        previous_date = None
        has_sents = doc.has_annotation("SENT_START")
        for ent in doc.ents:
            if ent.label_ in NAMED:
                ent._.canonical = canonical_name(ent.text, ent.label_)
            elif ent.label_ == "NUMBER":
                ent._.norm = normalize_number(ent.text) or None
            elif ent.label_ == "DATE":
                text = ent.text
                if ent.end < len(doc) and doc[ent.end].lower_ in RELATIVE_AFTER:
                    text = doc[ent.start:ent.end + 1].text
                # an anaphoric date ("a year earlier") counts from the sentence's previous date
                sent_start = ent.sent.start if has_sents else 0
                anchor = previous_date if previous_date and previous_date[1] == sent_start else None
                ent._.norm = normalize_date(text, doc._.doc_date,
                                            reference=anchor[0] if anchor else None) or None
                iso = (ent._.norm or {}).get("iso")
                if iso and "/" not in iso and "W" not in iso:
                    previous_date = (iso, sent_start)
        return doc

    def _apply_header(self, doc: Doc, header) -> None:
        inside = lambda s, e: any(a <= s and e <= b for a, b in header.spans)  # noqa: E731
        ents = list(doc.ents)
        moved: dict[tuple[int, int], tuple[int, int]] = {}  # an entity that swallowed the dateline -> its rest
        if header.place:
            a, b = header.place
            hits = [e for e in ents if e.start_char < b and a < e.end_char]
            place = doc.char_span(a, b, label="LOCATION", alignment_mode="strict")
            kept = []
            for e in ents:
                if e not in hits:
                    kept.append(e)
                elif inside(e.start_char, e.end_char):
                    kept.append(Span(doc, e.start, e.end, label="LOCATION"))
                elif place is not None and e.start_char <= a and b < e.end_char:
                    # "Seoul - Chinese authorities" read as one ACTOR: the dateline's place, and the
                    # rest after the dateline's separator keeps the entity's label (and its relations)
                    rest = doc.char_span(self._after_dateline(doc.text, b, e.end_char), e.end_char,
                                         label=e.label_, alignment_mode="contract")
                    kept.append(place)
                    if rest is not None and len(rest):
                        kept.append(rest)
                        moved[(e.start_char, e.end_char)] = (rest.start_char, rest.end_char)
                else:
                    kept.append(e)
            if not hits:
                if place is None:
                    self.header_misaligned += 1
                else:
                    kept.append(place)
            ents = filter_spans(kept)
            doc.ents = ents
        if doc._.relations:
            relations = []
            for r in doc._.relations:
                head = moved.get(tuple(r["head"]), tuple(r["head"]))
                tail = moved.get(tuple(r["tail"]), tuple(r["tail"]))
                if not inside(*head) and not inside(*tail):
                    relations.append({**r, "head": list(head), "tail": list(tail)})
            doc._.relations = relations

    @staticmethod
    def _after_dateline(text: str, place_end: int, limit: int) -> int:
        """Where a report's first words start after the dateline's place ending at ``place_end``:
        past the punctuation, date and agency in brackets that separate them ("Seoul - ",
        "SEOUL, March 12 (Yonhap) -- "), never past ``limit``."""
        m = DATELINE_TAIL.match(text, place_end, limit)
        return m.end() if m else place_end


@Language.factory("nkner_normalizer", assigns=["span._.canonical", "span._.norm"], requires=["doc.ents"])
def make_normalizer(nlp: Language, name: str) -> Normalizer:
    return Normalizer(nlp, name)

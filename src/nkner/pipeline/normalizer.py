"""The normalization component: canonical names, number values and ISO dates on entity spans, and the
report's header (its date, and a dateline's place without relations)."""

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

import nkner.pipeline.extensions  # noqa: F401

NAMED = ("ACTOR", "LEGAL_INSTRUMENT", "LOCATION")
#: words after a DATE span that make a duration-looking span ("a year") a relative date ("a year earlier")
RELATIVE_AFTER = {"earlier", "ago", "later", "before", "after", "prior", "afterwards"}


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
        if header.place:
            a, b = header.place
            hits = [e for e in ents if e.start_char < b and a < e.end_char]
            if hits:
                ents = [Span(doc, e.start, e.end, label="LOCATION") if e in hits and inside(e.start_char, e.end_char)
                        else e for e in ents]
            else:
                span = doc.char_span(a, b, label="LOCATION", alignment_mode="strict")
                if span is None:
                    self.header_misaligned += 1
                else:
                    ents = filter_spans(ents + [span])
            doc.ents = ents
        if doc._.relations:
            doc._.relations = [r for r in doc._.relations
                               if not inside(*r["head"]) and not inside(*r["tail"])]


@Language.factory("nkner_normalizer", assigns=["span._.canonical", "span._.norm"], requires=["doc.ents"])
def make_normalizer(nlp: Language, name: str) -> Normalizer:
    return Normalizer(nlp, name)

"""The normalization component: canonical names, number values and ISO dates on entity spans."""

from spacy.language import Language
from spacy.tokens import Doc

import nkner.pipeline.extensions  # noqa: F401

NAMED = ("ACTOR", "LEGAL_INSTRUMENT", "LOCATION")


class Normalizer:
    """Sets ``span._.canonical`` (ACTOR, LEGAL_INSTRUMENT, LOCATION) and ``span._.norm`` (NUMBER,
    DATE; relative dates resolved against ``doc._.doc_date`` when it is known)."""

    def __init__(self, nlp: Language, name: str = "nkner_normalizer"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        from nkner.pipeline.normalize import canonical_name, normalize_date, normalize_number

        for ent in doc.ents:
            if ent.label_ in NAMED:
                ent._.canonical = canonical_name(ent.text, ent.label_)
            elif ent.label_ == "NUMBER":
                ent._.norm = normalize_number(ent.text) or None
            elif ent.label_ == "DATE":
                ent._.norm = normalize_date(ent.text, doc._.doc_date) or None
        return doc


@Language.factory("nkner_normalizer", assigns=["span._.canonical", "span._.norm"], requires=["doc.ents"])
def make_normalizer(nlp: Language, name: str) -> Normalizer:
    return Normalizer(nlp, name)

"""spaCy extension attributes that nkner's components assign (registered once, on import)."""
from spacy.tokens import Doc, Span

SPAN_EXTENSIONS = {
    "event_type": None,     # EVENT spans: one of schema.EVENT_TYPES
    "event_score": None,    # probability of the predicted event type
    "canonical": None,      # ACTOR / LEGAL_INSTRUMENT / LOCATION: canonical name from the alias table
    "norm": None,           # NUMBER / DATE: normalized value (dict)
}
DOC_EXTENSIONS = {
    "relations": None,      # list of {"head": [start, end], "tail": [start, end], "type": str, "score": float}
    "doc_id": None,
    "doc_date": None,       # ISO date of the report, used to resolve relative dates
}

for _name, _default in SPAN_EXTENSIONS.items():
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)
for _name, _default in DOC_EXTENSIONS.items():
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)

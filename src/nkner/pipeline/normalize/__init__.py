"""Normalization of entity spans: plain functions, no spaCy.

* :func:`normalize_number` - NUMBER text -> value or min/max, qualifier, unit
* :func:`normalize_date` - DATE text (and the document's date) -> ISO 8601 value, part,
  duration, qualifier, relative
* :func:`canonical_name` - ACTOR / LEGAL_INSTRUMENT / LOCATION text -> canonical name or None,
  from the alias table ``nkner/pipeline/data/aliases.json``

Each module's docstring states its conventions; each function returns ``{}`` / ``None`` rather
than raise on text it cannot read.
"""
from .dates import normalize_date
from .names import ALIAS_LABELS, canonical_name, load_aliases, match_key
from .numbers import QUALIFIERS, UNITS, normalize_number, parse_cardinal

__all__ = [
    "ALIAS_LABELS",
    "QUALIFIERS",
    "UNITS",
    "canonical_name",
    "load_aliases",
    "match_key",
    "normalize_date",
    "normalize_number",
    "parse_cardinal",
]

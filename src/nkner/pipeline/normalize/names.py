"""Canonical names for ACTOR, LEGAL_INSTRUMENT and LOCATION spans, from an alias table kept as data.

The table is ``nkner/pipeline/data/aliases.json``: per label, ``canonical -> [aliases]`` (its
``_comment`` records the editorial decisions).  ``canonical_name(text, label)`` returns the
canonical name, or ``None`` when the text is no known alias (the extractor then keeps the
surface).  A canonical name is an alias of itself.

Matching key (:func:`match_key`): Unicode NFKC; curly apostrophes and quotes made straight, then
outer quotes dropped; every dash or hyphen made a space ("Sino-Korean" = "Sino Korean",
"UNHCR–China" = "UNHCR-China"); dotted abbreviations undotted ("U.N." = "UN"); case folded;
whitespace collapsed; trailing punctuation, a leading "the" and a trailing possessive ("'s",
"’s", "s'") removed.
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

from nkner.vocab import DASHES

__all__ = ["ALIAS_LABELS", "build_index", "canonical_name", "load_aliases", "match_key", "read_alias_table"]

ALIAS_LABELS: tuple[str, ...] = ("ACTOR", "LEGAL_INSTRUMENT", "LOCATION")

_APOSTROPHES = "\u2018\u2019\u201b\u2032`\u00b4"
_QUOTES = "\u201c\u201d\u201e\u00ab\u00bb\""


def match_key(text: str) -> str:
    """The normalized form two surfaces must share to be the same alias."""
    s = unicodedata.normalize("NFKC", text)
    for c in _APOSTROPHES:
        s = s.replace(c, "'")
    for c in _QUOTES:
        s = s.replace(c, " ")
    for c in DASHES:
        s = s.replace(c, " ")
    # "U.N." -> "UN", "U.S." -> "US" (single letters each followed by a dot)
    s = re.sub(r"\b((?:[A-Za-z]\.){2,})", lambda m: m.group(1).replace(".", ""), s)
    s = " ".join(s.casefold().split())
    s = s.strip(" '.,;:()[]")
    s = re.sub(r"^the ", "", s)
    s = re.sub(r"(?:'s|s')$", lambda m: "" if m.group(0) == "'s" else "s", s)
    return s.strip()


def build_index(raw: dict) -> dict[str, dict[str, str]]:
    """``{label: {match_key(alias): canonical}}`` from the JSON table's structure.

    Raises ValueError on an unknown label, an empty alias, or an alias whose key belongs to two
    canonical names of the same label.
    """
    unknown = set(raw) - set(ALIAS_LABELS) - {"_comment"}
    if unknown:
        raise ValueError(f"unknown label(s) in the alias table: {sorted(unknown)}")
    table: dict[str, dict[str, str]] = {}
    for label in ALIAS_LABELS:
        index: dict[str, str] = {}
        for canonical, aliases in raw.get(label, {}).items():
            for alias in [canonical, *aliases]:
                key = match_key(alias)
                if not key:
                    raise ValueError(f"{label}: empty alias under {canonical!r}")
                if index.get(key, canonical) != canonical:
                    raise ValueError(f"{label}: alias {alias!r} maps to both {index[key]!r} and {canonical!r}")
                index[key] = canonical
        table[label] = index
    return table


def read_alias_table() -> dict:
    """The alias table as stored (``nkner/pipeline/data/aliases.json``)."""
    return json.loads(resources.files("nkner.pipeline").joinpath("data/aliases.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def load_aliases() -> dict[str, dict[str, str]]:
    """The packaged table's index, built once (see :func:`build_index`)."""
    return build_index(read_alias_table())


def canonical_name(text: str, label: str) -> str | None:
    """The canonical name of ``text`` as a ``label`` span, or None when it is no known alias."""
    if not isinstance(text, str) or not isinstance(label, str):
        return None
    index = load_aliases().get(label.upper())
    if not index:
        return None
    return index.get(match_key(text))

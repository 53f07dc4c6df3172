"""The annotation schema: the single source of truth for labels, event types and relations.

Everything in nkner (gold validation, the trained pipeline, the doccano project, every score)
imports its label inventory from here.  A change to anything in this module is a change of the
schema and must bump :data:`SCHEMA_VERSION`.

Version "v1" follows the project's annotation specification (restated with corpus examples in
``annotations/GUIDELINES.md``).
"""
from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = "v1"


@dataclass(frozen=True)
class Label:
    name: str
    description: str
    color: str  # background colour used by displaCy and doccano
    shortcut: str  # doccano keyboard shortcut


@dataclass(frozen=True)
class RelationType:
    name: str
    heads: tuple[str, ...]  # allowed labels of the ``from`` end
    tails: tuple[str, ...]  # allowed labels of the ``to`` end
    description: str
    color: str
    shortcut: str


LABELS: tuple[Label, ...] = (
    Label("ACTOR", "who acts or is acted upon: states, governments, bodies, officials, organizations, "
          "named persons, identified population groups", "#7aecec", "a"),
    Label("LEGAL_INSTRUMENT", "a specific treaty, convention, protocol, agreement, law, decree, policy, "
          "resolution, or a provision of one", "#feca74", "l"),
    Label("NUMBER", "a quantity about the world, with the approximation or comparison words that "
          "belong to it", "#e4e7d2", "n"),
    Label("EVENT", "an occurrence of one of the closed event types (minimal trigger span)", "#ff9561", "e"),
    Label("DATE", "a date, year, decade, season or period, absolute or relative; durations in "
          "calendar units", "#bfe1d9", "d"),
    Label("LOCATION", "a place where something happens, an origin or a destination", "#c887fb", "p"),
)
LABEL_NAMES: tuple[str, ...] = tuple(label.name for label in LABELS)
LABEL_BY_NAME = {label.name: label for label in LABELS}

#: Closed list of event types; every EVENT span carries exactly one.
EVENT_TYPES: dict[str, str] = {
    "repatriation": "forced return, deportation, refoulement, handing back, sending back",
    "flight": "escape, defection, border crossing, smuggling out, journey to a third country, "
              "arrival and resettlement",
    "detention": "arrest, capture, detention, round-up, raid (and release from detention)",
    "abuse": "torture, execution, imprisonment, forced labor, sexual violence, forced abortion, "
             "infanticide, persecution, punishment, killing",
    "trafficking": "trafficking, sale of a person, forced marriage, forced prostitution",
    "crisis": "famine, pandemic, border closure, war, food shortage, mass death",
    "legal_action": "formal act of an institution or official: ruling, conviction, decree, adoption of "
                    "a law or resolution, review, inquiry, report issued, agreement concluded, "
                    "asylum claim and its decision",
    "advocacy": "public intervention that presses or denounces: urging, appeal, condemnation, "
                "warning, open letter, testimony, campaign, diplomatic visit",
}
EVENT_TYPE_NAMES: tuple[str, ...] = tuple(EVENT_TYPES)

RELATION_TYPES: tuple[RelationType, ...] = (
    RelationType("agent", ("EVENT",), ("ACTOR",), "who carries out the event", "#1f77b4", "1"),
    RelationType("affected", ("EVENT",), ("ACTOR",), "who undergoes the event", "#d62728", "2"),
    RelationType("time", ("EVENT",), ("DATE",), "when the event happened", "#2ca02c", "3"),
    RelationType("place", ("EVENT",), ("LOCATION",), "where, from where or to where", "#9467bd", "4"),
    RelationType("instrument", ("EVENT",), ("LEGAL_INSTRUMENT",),
                 "instrument the event violates, invokes, adopts or is governed by", "#8c564b", "5"),
    RelationType("quantity", ("NUMBER",), ("ACTOR", "EVENT"), "what the number counts or measures",
                 "#e377c2", "6"),
    RelationType("party_to", ("ACTOR",), ("LEGAL_INSTRUMENT",),
                 "the actor is a party or signatory to the instrument", "#7f7f7f", "7"),
)
RELATION_NAMES: tuple[str, ...] = tuple(rel.name for rel in RELATION_TYPES)
RELATION_BY_NAME = {rel.name: rel for rel in RELATION_TYPES}

#: Relations whose ``from`` end is an EVENT become arguments of a fact (see extraction output).
FACT_ROLES: tuple[str, ...] = ("agent", "affected", "time", "place", "instrument")

DISPLACY_COLORS: dict[str, str] = {label.name: label.color for label in LABELS}


def relation_allowed(rel_type: str, head_label: str, tail_label: str) -> bool:
    """True when ``rel_type`` may link a span labelled ``head_label`` to one labelled ``tail_label``."""
    rel = RELATION_BY_NAME.get(rel_type)
    return rel is not None and head_label in rel.heads and tail_label in rel.tails


def allowed_relations(head_label: str, tail_label: str) -> list[str]:
    """All relation types that may link the two labels, in schema order."""
    return [r.name for r in RELATION_TYPES if head_label in r.heads and tail_label in r.tails]

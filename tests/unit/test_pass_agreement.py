"""Agreement of two independent annotation passes, and the list of what an adjudicator decides."""
from __future__ import annotations

import json

import pytest

from nkner.corpus.agreement import agreement_by_genre, pass_differences, work_dir
from nkner.corpus.store import CorpusError, load

DOC = "004_f906a5d173e9d91e"
S1 = "These were the final words of a female North Korean defector"


def write_pass(letter, ents, rels):
    path = work_dir() / f"{DOC}.{letter}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"doc_id": DOC, "sentences": [{"s": 1, "text": S1, "ents": ents, "rels": rels}]}))


def test_agreement_and_differences(data_copy):
    write_pass("A", [["female North Korean defector", "ACTOR"], ["detained", "EVENT", "detention"],
                     ["Chinese authorities", "ACTOR"]],
               [["detained", "affected", "female North Korean defector"], ["detained", "agent", "Chinese authorities"]])
    write_pass("B", [["North Korean defector", "ACTOR"], ["detained", "EVENT", "detention"],
                     ["Chinese authorities", "ACTOR"]],
               [["detained", "agent", "Chinese authorities"]])
    rows = agreement_by_genre(load(ids=[DOC]))
    assert [r.genre for r in rows] == ["essay", "all"]
    row = rows[0]
    assert row.documents == [DOC]
    assert row.span_f1 == pytest.approx(2 / 3, abs=1e-4)  # 2 of 3 spans match on each side
    assert row.relation_f1 == pytest.approx(2 * 1 / (2 + 1), abs=1e-4)
    assert row.event_type_agreement == 1.0 and row.events_compared == 1
    diffs = pass_differences(DOC)
    assert len(diffs) == 3
    assert diffs[0].startswith("s1 span 'female North Korean defector'") and diffs[0].endswith("A=ACTOR  B=-")
    assert "B=ACTOR" in diffs[1] and "relation 'detained' -affected-> 'female North Korean defector'  only in A" in diffs[2]


def test_missing_or_broken_pass_is_named(data_copy):
    with pytest.raises(CorpusError, match=r"pass B has no file"):
        write_pass("A", [], [])
        pass_differences(DOC)
    write_pass("B", [["no such words", "ACTOR"]], [])
    with pytest.raises(CorpusError, match=r"004_f906a5d173e9d91e\.B\.json: 1 problems"):
        pass_differences(DOC)

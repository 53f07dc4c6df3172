"""The held-out split report: headline, per genre, per label, per relation type, learning curve."""
from __future__ import annotations

import pytest

from nkner.schema import LABEL_NAMES, RELATION_NAMES
from nkner.training.evaluate import Counts, Scores
from nkner.training.report import render_split, run_split


def summary(tp: int, fp: int, fn: int, genres: dict | None = None) -> dict:
    s = Scores(docs=["d"])
    for lab in LABEL_NAMES:
        s.strict[lab] = Counts(tp, fp, fn)
        s.overlap[lab] = Counts(tp + 1, fp, max(fn - 1, 0))
    for t in RELATION_NAMES:
        s.relations[t] = Counts(tp, fp, fn)
    s.event_type.update({"correct": 9, "total": 10})
    out = s.summary()
    out["per_genre"] = genres or {}
    return out


def test_render_split_has_every_table():
    per_genre = {"news": summary(3, 1, 1), "legal": summary(1, 1, 3)}
    result = {"split": "test", "protocol": "trained on train + dev, scored on test", "seed": 0, "date": "2026-12-05",
              "machine": "x86_64, 3.11", "documents": ["d"],
              "systems": {"nkner (smner)": summary(4, 1, 1, per_genre), "rules only": summary(1, 2, 4)},
              "learning_curve": {"backbone": "smner", "order": "core first", "rows": [
                  {"documents": 5, "words": 10000, "ents_f": 0.6, "relations_f": 0.4, "event_type_accuracy": 0.9}]}}
    text = render_split(result)
    assert text.startswith("# nkner evaluation on the test split")
    assert "| nkner (smner) | 0.800 | 0.800 | 0.800 |" in text  # P, R, F of 4 tp, 1 fp, 1 fn
    assert "| system | news | legal |" in text
    assert "| nkner (smner) | 0.750 / 0.750 | 0.333 / 0.333 |" in text  # genres in schema order: news, legal
    assert "| rules only | – | – |" in text
    assert "| 5 | 10,000 | 0.600 | 0.400 | 0.900 |" in text
    for title in ("Entity F1 per label", "Relation F1 per type", "Per genre", "Learning curve"):
        assert title in text


def test_run_split_refuses_train_as_the_scored_split():
    with pytest.raises(ValueError, match="score on dev .* or test"):
        run_split(["smner"], split="train")


def test_write_report_draws_the_split_curve(tmp_path):
    from nkner.training.report import write_report

    rows = [{"documents": 5, "words": 10573, "ents_f": 0.6, "relations_f": 0.4, "event_type_accuracy": 0.9},
            {"documents": 79, "words": 48838, "ents_f": 0.77, "relations_f": 0.53, "event_type_accuracy": 0.95}]
    write_report(tmp_path / "r.md", "# r\n", {"split": "test", "learning_curve": {"rows": rows}})
    assert (tmp_path / "learning_curve_test.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "r.json").exists()

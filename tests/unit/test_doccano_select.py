"""Active-learning selection: excerpts, uncertainty, ranking (the shipped model, no server)."""
from __future__ import annotations

from pathlib import Path

import pytest

from nkner.corpus.store import sha256_text
from nkner.doccano import DoccanoError
from nkner.doccano.select import (Decision, Segment, excerpts_of, margin_uncertainty, rank, score_segments,
                                  unit_spans)

REPORT = Path(__file__).resolve().parents[2] / "samples" / "report-2024-returns.txt"


@pytest.fixture(scope="module")
def nlp():
    from nkner.extract.run import load

    return load()


def test_margin_uncertainty_peaks_at_the_threshold():
    assert margin_uncertainty(0.35, 0.35) == 1.0
    assert margin_uncertainty(0.0, 0.35) == 0.0 and margin_uncertainty(1.0, 0.35) == 0.0
    assert margin_uncertainty(0.175, 0.35) == pytest.approx(0.5)
    assert margin_uncertainty(0.675, 0.35) == pytest.approx(0.5)  # halfway from 0.35 to 1
    assert margin_uncertainty(0.3, 0.25) < margin_uncertainty(0.26, 0.25)


def test_unit_spans_sentences_and_paragraphs():
    text = "First one. Second one here.\n\n  A new paragraph.  \nLast line"
    sents = [text[s:e] for s, e in unit_spans(text, "sentence")]
    assert sents == ["First one.", "Second one here.", "A new paragraph.", "Last line"]
    paras = [text[s:e] for s, e in unit_spans(text, "paragraph")]
    assert paras == ["First one. Second one here.", "A new paragraph.", "Last line"]
    with pytest.raises(DoccanoError, match="unknown unit 'page'"):
        unit_spans(text, "page")


def test_excerpts_record_where_they_come_from(tmp_path):
    report = tmp_path / "r.txt"
    report.write_text("Title\n\nChina deported 60 North Koreans in April 2024. Short one.\n", encoding="utf-8")
    (seg,) = excerpts_of(report)  # "Title" and "Short one." are under MIN_WORDS
    text = report.read_text(encoding="utf-8")
    assert text[seg.start:seg.end] == "China deported 60 North Koreans in April 2024."
    assert seg.text == text[seg.start:seg.end] + "\n"  # as corpus texts are: ending with a line break
    assert seg.provenance() == {"path": str(report), "start": seg.start, "end": seg.end,
                                "report_sha256": sha256_text(text), "excerpt_sha256": sha256_text(seg.text)}
    assert seg.doc_id == "ex_" + sha256_text(seg.text)[:16]
    with pytest.raises(DoccanoError, match="nope.txt: no such file"):
        excerpts_of(tmp_path / "nope.txt")


def test_rank_orders_by_uncertainty_per_word_and_proposes_a_text_once():
    def seg(start, text, *uncertainties):
        s = Segment("r.txt", start, start + len(text), text, "x")
        s.decisions = [Decision("relation", "", 0.5, 0.5, u) for u in uncertainties]
        return s
    a = seg(0, "one two three four five\n", 1.0)  # 0.2 per word
    b = seg(30, "one two three four five six seven eight nine ten\n", 1.0, 1.0, 0.5)  # 0.25 per word
    c = seg(90, "other words in this sentence here\n")  # nothing uncertain
    dup = seg(200, "one two three four five\n", 1.0)
    assert rank([a, b, c, dup], "uncertain") == [b, a, c]
    shuffled = rank([a, b, c, dup], "random", seed=3)
    assert sorted(s.start for s in shuffled) == [0, 30, 90]
    assert rank([a, b, c], "random", seed=3) == rank([a, b, c], "random", seed=3)
    with pytest.raises(DoccanoError, match="unknown selection"):
        rank([a], "greedy")


def test_scores_come_from_the_models_decisions_and_pre_annotations_match_annotate(nlp):
    from nkner.extract.run import annotate

    rel = nlp.get_pipe("nkner_relations")
    threshold = rel.threshold
    segments = score_segments(nlp, excerpts_of(REPORT))
    assert rel.threshold == threshold > 0  # restored after scoring
    kinds = {d.kind for s in segments for d in s.decisions}
    assert kinds == {"trigger", "event_type", "relation"}
    for s in segments:
        assert all(0.0 <= d.uncertainty <= 1.0 for d in s.decisions)
        for d in s.decisions:
            if d.kind == "relation":
                assert d.threshold == rel.threshold
        # the pre-annotations are what the pipeline itself outputs for the excerpt
        ents, rels = annotate(s.text, nlp)
        assert [(e.start, e.end, e.label, e.event_type) for e in s.entities] == \
            [(e.start, e.end, e.label, e.event_type) for e in ents]
        assert [(r.from_id, r.to_id, r.type) for r in s.relations] == [(r.from_id, r.to_id, r.type) for r in rels]
    # relations under the threshold are uncertain decisions but not pre-annotations
    assert any(d.kind == "relation" and d.score < d.threshold for s in segments for d in s.decisions)
    ranked = rank(segments, "uncertain")
    assert ranked[0].uncertainty > ranked[-1].uncertainty

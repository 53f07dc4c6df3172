"""Grouping facts of different reports into events, and reconciling their figures (issue 13.2)."""
from __future__ import annotations

import random
from datetime import date

import pytest

from nkner.factbase.grouping import (
    DEFAULT_THRESHOLD,
    fact_records,
    figure_interval,
    group_facts,
    iso_interval,
    pair_score,
    reconcile_figures,
    vague_plural_value,
)


def fact(fid, report, event_type="repatriation", time=(), places=(), agents=(), affected=(), figures=(),
         sentence="", publisher=None, report_date=None):
    return {"fact_id": fid, "report_id": report, "source": f"{report}.txt", "publisher": publisher,
            "report_date": report_date, "event_type": event_type, "trigger": "returned",
            "time": list(time), "places": list(places), "agents": list(agents), "affected": list(affected),
            "instruments": [], "figures": [dict(f) for f in figures], "sentence": sentence, "confidence": 0.8}


def fig(value, qualifier=None, text=None, role="affected", **kw):
    return {"value": value, "qualifier": qualifier, "text": text or str(value), "role": role, **kw}


# Three reports of the October 2023 mass repatriation, and other repatriations that are not it.
OCT_HRW = fact("hrw:1", "hrw", time=["2023-10-09"], places=["China"], agents=["China"], affected=["North Koreans"],
               figures=[fig(600, "at_most", "up to 600")], publisher="Human Rights Watch", report_date="2023-10-18",
               sentence="Chinese authorities forcibly returned up to 600 North Koreans on October 9, 2023, "
                        "from detention centers in Jilin province.")
OCT_REUTERS = fact("reu:1", "reu", time=["2023-10"], places=["China", "Jilin"], agents=["China"],
                   affected=["North Koreans"], figures=[fig(500, "about", "about 500")], publisher="Reuters",
                   report_date="2023-10-13",
                   sentence="China repatriated about 500 North Koreans from Jilin in October 2023, activists said.")
OCT_YONHAP = fact("yon:3", "yon", time=["2023-10-09"], places=["China"], agents=["China"],
                  affected=["North Korean defectors"], figures=[fig(600)], publisher="Yonhap",
                  report_date="2023-10-12",
                  sentence="China forcibly sent back 600 North Korean defectors on Oct. 9, 2023, a lawmaker said.")
APRIL_2024 = fact("nk:2", "nknews", time=["2024-04"], places=["China"], agents=["China"],
                  affected=["North Koreans"], figures=[fig(60)], publisher="NK News", report_date="2024-04-30",
                  sentence="China forcibly returned about 60 North Koreans across the Tumen River in April 2024.")
LAOS_2013 = fact("bbc:4", "bbc", time=["2013-05"], places=["Laos"], agents=["Laos"], affected=["North Koreans"],
                 figures=[fig(9, text="nine")], publisher="BBC", report_date="2013-06-01",
                 sentence="Laos deported nine young North Korean defectors to China in May 2013.")


def ids(groups):
    return sorted(tuple(g["fact_ids"]) for g in groups)


def test_same_event_from_three_reports_is_one_group_and_others_stay_apart():
    groups = group_facts([OCT_HRW, OCT_REUTERS, OCT_YONHAP, APRIL_2024, LAOS_2013])
    assert ids(groups) == [("bbc:4",), ("hrw:1", "reu:1", "yon:3"), ("nk:2",)]
    october = next(g for g in groups if len(g["fact_ids"]) == 3)
    assert october["n_reports"] == 3 and october["n_publishers"] == 3
    assert october["first_report"] == "2023-10-12" and october["last_report"] == "2023-10-18"
    assert (october["time_start"], october["time_end"]) == ("2023-10-01", "2023-10-31")
    assert october["places"][0] == "China" and "Jilin" in october["places"]
    assert DEFAULT_THRESHOLD <= october["score"] < 1.0
    single = next(g for g in groups if g["fact_ids"] == ["nk:2"])
    assert single["score"] == 1.0 and single["conservative"] == 60 and not single["conflict"]


def test_group_figures_conservative_range_and_conflict():
    october = next(g for g in group_facts([OCT_HRW, OCT_REUTERS, OCT_YONHAP]) if len(g["fact_ids"]) == 3)
    assert [(f["value"], f["report_id"]) for f in october["figures"]] == [(500, "reu"), (600, "hrw"), (600, "yon")]
    assert october["conservative"] == 500 and (october["low"], october["high"]) == (500, 600)
    # "about 500" allows 425..575; "600" (exact) is outside it
    assert october["conflict"] is True
    assert "about 500" in october["conflict_note"] and "600" in october["conflict_note"]


def test_incompatible_times_or_types_score_zero():
    same_place_2014 = fact("x:1", "x", time=["2014"], places=["China"], agents=["China"], affected=["North Koreans"],
                           sentence="China forcibly returned North Koreans in 2014.")
    same_place_2023 = fact("y:1", "y", time=["2023"], places=["China"], agents=["China"], affected=["North Koreans"],
                           sentence="China forcibly returned North Koreans in 2023.")
    assert pair_score(same_place_2014, same_place_2023) == 0.0
    detention = dict(OCT_HRW, fact_id="hrw:2", event_type="detention")
    assert pair_score(OCT_HRW, detention) == 0.0
    assert pair_score(OCT_HRW, OCT_YONHAP) > pair_score(OCT_HRW, APRIL_2024)


def test_close_but_disjoint_dates_are_compatible_far_ones_not():
    a = fact("a:1", "a", time=["2023-10-09"], places=["China"], sentence="China deported North Koreans.")
    b = fact("b:1", "b", time=["2023-10-12"], places=["China"], sentence="China deported North Koreans.")
    c = fact("c:1", "c", time=["2024-04-20"], places=["China"], sentence="China deported North Koreans.")
    assert pair_score(a, b) > 0 and pair_score(a, c) == 0.0


def test_group_order_and_ids_do_not_depend_on_input_order():
    facts = [OCT_HRW, OCT_REUTERS, OCT_YONHAP, APRIL_2024, LAOS_2013]
    reference = group_facts(facts)
    rng = random.Random(13)
    for _ in range(5):
        shuffled = facts[:]
        rng.shuffle(shuffled)
        assert group_facts(shuffled) == reference
    assert len({g["group_id"] for g in reference}) == len(reference)


def test_facts_of_one_report_join_only_through_other_reports():
    a1 = dict(OCT_HRW, fact_id="hrw:1")
    a2 = dict(OCT_HRW, fact_id="hrw:2")  # the same report repeating itself
    assert ids(group_facts([a1, a2])) == [("hrw:1",), ("hrw:2",)]
    joined = group_facts([a1, a2, OCT_YONHAP])
    assert ids(joined) == [("hrw:1", "hrw:2", "yon:3")]
    assert joined[0]["n_reports"] == 2


def test_incompatible_times_never_chain_through_an_undated_fact():
    undated = fact("u:1", "u", places=["China"], agents=["China"], affected=["North Koreans"],
                   sentence="China forcibly returned North Koreans from Jilin.")
    early = dict(undated, fact_id="e:1", report_id="e", time=["2014-03"])
    late = dict(undated, fact_id="l:1", report_id="l", time=["2023-10"])
    groups = group_facts([undated, early, late], threshold=0.0)
    assert not any({"e:1", "l:1"} <= set(g["fact_ids"]) for g in groups)


def test_every_fact_in_exactly_one_group_and_duplicate_ids_refused():
    facts = [OCT_HRW, OCT_REUTERS, OCT_YONHAP, APRIL_2024, LAOS_2013]
    for t in (0.0, 0.3, DEFAULT_THRESHOLD, 0.9, 1.01):
        members = [fid for g in group_facts(facts, threshold=t) for fid in g["fact_ids"]]
        assert sorted(members) == sorted(f["fact_id"] for f in facts)
    assert len(group_facts(facts, threshold=1.01)) == 5
    with pytest.raises(ValueError, match="hrw:1"):
        group_facts([OCT_HRW, OCT_HRW])


@pytest.mark.parametrize("figures, conflict", [
    ([fig(500, "at_least", "at least 500"), fig(600)], False),
    ([fig(600, "at_most", "up to 600"), fig(700)], True),
    ([fig(500, "about", "about 500"), fig(550)], False),
    ([fig(500, "about", "about 500"), fig(600)], True),
    ([fig(100, "about", "hundreds", max=999), fig(150)], False),
    ([fig(2000, "less_than", "nearly 2,000"), fig(1900)], False),
    ([fig(60), fig(60)], False),
    ([fig(60), fig(50)], True),
])
def test_conflict_only_beyond_what_qualifiers_allow(figures, conflict):
    members = [fact(f"r{i}:1", f"r{i}", figures=[f]) for i, f in enumerate(figures)]
    got = reconcile_figures(members)
    assert got["conflict"] is conflict
    assert got["conservative"] == min(f["value"] for f in figures)
    assert (got["conflict_note"] is None) is (not conflict)


def test_headline_figure_is_the_fact_total_not_its_subgroups():
    total = fact("a:1", "a", figures=[fig(600, text="600"), fig(100, text="100 children")])
    other = fact("b:1", "b", figures=[fig(600)])
    got = reconcile_figures([total, other])
    assert got["conflict"] is False and got["conservative"] == 600 and len(got["figures"]) == 3
    own = fact("c:1", "c", figures=[fig(40, role="event", text="40 times"), fig(600)])
    assert reconcile_figures([own])["conservative"] == 40


def test_vague_plurals_and_intervals():
    assert [vague_plural_value(t) for t in ("hundreds", "tens of thousands", "dozens", "several hundred", "600")] == \
        [100, 10000, 12, None, None]
    assert figure_interval(fig(100, "about", max=999)) == (100.0, 999.0)
    assert figure_interval(fig(500, "more_than"))[1] == float("inf")
    assert iso_interval("2023-10") == (date(2023, 10, 1), date(2023, 10, 31))
    assert iso_interval("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert iso_interval("2025-W33") == (date(2025, 8, 11), date(2025, 8, 17))
    assert iso_interval("1990/1999") == (date(1990, 1, 1), date(1999, 12, 31))
    assert iso_interval("2020/..")[0] == date(2020, 1, 1)
    assert iso_interval("P5Y") is None and iso_interval("2023-13") is None


TEXT = "In April 2024 China forcibly returned hundreds of North Koreans. Seoul protested."


def _result():
    return {
        "source": "r.txt", "text_sha256": "ab" * 32,
        "facts": [{
            "event_type": "repatriation",
            "trigger": {"start": 28, "end": 37, "text": "returned"},
            "agent": [{"start": 14, "end": 19, "text": "China", "canonical": "China"}],
            "affected": [{"start": 50, "end": 63, "text": "North Koreans",
                          "count": {"start": 38, "end": 46, "text": "hundreds", "min": 200, "max": 999,
                                    "qualifier": "about"}}],
            "time": [{"start": 3, "end": 13, "text": "April 2024", "iso": "2024-04"}],
            "place": [], "instrument": [],
            "count": {"start": 0, "end": 2, "text": "45 percent", "value": 45, "unit": "percent"},
            "sentence": {"start": 0, "end": 64}, "confidence": 0.7,
        }],
    }


def test_fact_records_from_an_extraction_result():
    [rec] = fact_records(_result(), publisher="NK News", report_date="2024-05-01", text=TEXT)
    assert rec["fact_id"] == "abababababababab:28-37" and rec["report_id"] == "abababababababab"
    assert rec["time"] == ["2024-04"] and rec["agents"] == ["China"] and rec["affected"] == ["North Koreans"]
    assert rec["sentence"] == "In April 2024 China forcibly returned hundreds of North Koreans."
    # the percentage is no count of the event; "hundreds" counts at ACLED's 100, up to the normalizer's 999
    assert rec["figures"] == [{"value": 100, "qualifier": "about", "text": "hundreds", "max": 999, "role": "affected"}]
    assert (rec["publisher"], rec["report_date"]) == ("NK News", "2024-05-01")


def test_fact_records_refuse_a_result_without_text_or_an_error():
    with pytest.raises(ValueError, match="r.txt"):
        fact_records(_result())
    with pytest.raises(ValueError, match="bad.pdf"):
        fact_records({"source": "bad.pdf", "error": "no text"})


def test_same_type_and_year_but_another_place_and_actor_stays_apart():
    laos_2023 = fact("vt:1", "vt", time=["2023"], places=["Laos"], agents=["Laos"], affected=["North Koreans"],
                     figures=[fig(9, text="nine")],
                     sentence="Laos deported nine North Korean defectors to China in 2023.")
    assert 0 < pair_score(laos_2023, OCT_REUTERS) < DEFAULT_THRESHOLD
    assert ids(group_facts([laos_2023, OCT_REUTERS, OCT_HRW])) == [("hrw:1", "reu:1"), ("vt:1",)]


# --------------------------------------------------------------------------------------------
# the labelled pair set (annotations/fact-pairs/) and the figures computed from it
# --------------------------------------------------------------------------------------------
FACT_KEYS = {"fact_id", "report_id", "source", "publisher", "report_date", "event_type", "trigger", "time", "places",
             "agents", "affected", "instruments", "figures", "sentence", "confidence"}


@pytest.fixture(scope="module")
def pairs():
    from nkner.training.grouping_eval import load_pairs

    return load_pairs()


def test_pair_set_is_well_formed(pairs):
    from nkner.schema import EVENT_TYPE_NAMES
    from nkner.training.grouping_eval import split_of

    assert len(pairs) >= 300
    assert len({p["pair_id"] for p in pairs}) == len(pairs)
    for p in pairs:
        a, b = p["a"], p["b"]
        assert set(a) >= FACT_KEYS and set(b) >= FACT_KEYS, p["pair_id"]
        assert p["pair_id"] == "|".join(sorted((a["fact_id"], b["fact_id"])))
        assert p["split"] == split_of(p["pair_id"])          # fixed by the hash, not by hand
        assert a["report_id"] != b["report_id"] and a["event_type"] == b["event_type"] in EVENT_TYPE_NAMES
        assert a["sentence"].strip() and b["sentence"].strip()
        assert p["labelled_by"] == "assistant helper session (grouping), by reading"
        assert p["label"] in ("same", "different", "unsure")
        assert p["label"] != "unsure" or p["reason"], p["pair_id"]   # an unsure pair says why
    for split in ("choose", "heldout"):
        labels = [p["label"] for p in pairs if p["split"] == split]
        assert labels.count("same") >= 20 and labels.count("different") >= 50
    share = sum(p["split"] == "choose" for p in pairs) / len(pairs)
    assert 0.5 < share < 0.7


def test_heldout_figures_are_computed_from_the_pair_set(pairs):
    from nkner.factbase import grouping
    from nkner.training.grouping_eval import evaluate

    got = evaluate(pairs, n_boot=0)
    held = [p for p in pairs if p["split"] == "heldout" and p["label"] != "unsure"]
    predicted = [p for p in held if grouping.pair_score(p["a"], p["b"]) >= grouping.DEFAULT_THRESHOLD]
    tp = sum(p["label"] == "same" for p in predicted)
    assert (got["pairs"], got["positives"], got["predicted"], got["tp"]) == \
        (len(held), sum(p["label"] == "same" for p in held), len(predicted), tp)
    assert got["precision"] == round(tp / len(predicted), 3)
    # relabelling one correctly merged pair as 'different' must move the figures
    flip = next(p for p in predicted if p["label"] == "same")
    changed = [dict(p, label="different") if p is flip else p for p in pairs]
    assert evaluate(changed, n_boot=0)["tp"] == tp - 1


def test_committed_model_and_threshold_are_what_the_choose_part_gives(pairs):
    from nkner.factbase import grouping
    from nkner.training.grouping_eval import choose

    got = choose(pairs)
    assert got["model"] == grouping.MODEL
    assert got["threshold"] == grouping.DEFAULT_THRESHOLD
    # nothing from `heldout` reaches the choice
    only_choose = [p for p in pairs if p["split"] == "choose"]
    assert choose(only_choose)["model"] == got["model"]

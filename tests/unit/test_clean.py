"""Cleaning: each rule on small inputs, and the real corpus reproduced from raw + change report."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nkner.corpus.clean import Edit, apply_edits, clean_text
from nkner.corpus.store import read_text_exact, sha256_text

REPO = Path(__file__).resolve().parents[2]
SOURCES = json.loads((REPO / "corpus" / "sources.json").read_text())["documents"]


def test_clutter_lines_removed_and_reported():
    raw = "Title\n\nShare this:\n\nBody text.\n\nLeave a Comment\n\nAdblock Detected\n"
    r = clean_text(raw)
    assert r.text == "Title\n\nBody text.\n"
    rules = sorted({row["rule"] for row in r.report()})
    assert rules == ["clutter-line", "edge-whitespace"]
    assert {row["before"] for row in r.report() if row["rule"] == "clutter-line"} == {
        "Share this:\n\n", "Leave a Comment\n\n", "Adblock Detected\n"}


@pytest.mark.parametrize("raw,expected", [
    ("torture, and execution await.China classifies", "torture, and execution await. China classifies"),
    ("China denies. Repatriation fromChina,with over 75 percent", "China denies. Repatriation from China, with over 75 percent"),
    ("does not lack awareness of theprotection laws, the protection", "does not lack awareness of the protection laws, the protection"),
    ("In January 2024,108 North Korean workers", "In January 2024, 108 North Korean workers"),
    ("escalated,facing likely imprisonment", "escalated, facing likely imprisonment"),
    ("back to North Korea.”These were", "back to North Korea.” These were"),
])
def test_glue_rules(raw, expected):
    assert clean_text(raw).text == expected + "\n"


@pytest.mark.parametrize("raw", [
    "More than 34,000 North Koreans", "another official of the U.S. government", "see www.hrw.org.News",
    "Up to 200,000 people", "the theory of offence",
])
def test_glue_rules_leave_real_words_numbers_and_urls(raw):
    assert clean_text(raw).text == raw + "\n"


def test_dateline_moves_to_metadata():
    r = clean_text(" date 2025-08-14 “Please don’t send me back.”")
    assert r.metadata == {"date": "2025-08-14"}
    assert r.text == "“Please don’t send me back.”\n"


def test_pdf_reflow_and_footnote_move():
    body = ["First line of a paragraph that runs ", "on to the next line and ends here. ", " ",
            "A Heading ", "Second paragraph starts ", "and continues with persecution "]
    # between "here." and the heading the PDF has a whitespace-only line: a paragraph break
    foot = ["1 A footnote that ", "wraps. "]
    cont = [" are well-chronicled here. "] + [f"Filler line {i} goes on " for i in range(40)] + ["end. "]
    raw = "\n\n".join(body) + "\n\n \n\n" + "\n\n".join(foot) + "\n" + "\n\n".join(cont)
    text = clean_text(raw).text
    assert text.startswith("First line of a paragraph that runs on to the next line and ends here.\n\n"
                           "A Heading\n\nSecond paragraph starts and continues with persecution are "
                           "well-chronicled here. Filler line 0 goes on")
    assert text.endswith("end.\n\n1 A footnote that wraps.\n")


def test_hard_wrapped_text_is_joined_but_headings_and_paragraphs_stay():
    body = ("The government restricted freedom of movement for those lawfully within\n"
            "the state. Those who violated travel regulations were subject to warnings,\n"
            "fines, or forced labor and detention without trial in a labor camp for up\n"
            "to three months.\n")
    raw = "d. Freedom of Movement and the Right to Leave the\nCountry\n" + body * 8
    text = clean_text(raw).text
    assert text.startswith("d. Freedom of Movement and the Right to Leave the Country\n"
                           "The government restricted freedom of movement for those lawfully within the state. "
                           "Those who violated travel regulations were subject to warnings, fines, or forced "
                           "labor and detention without trial in a labor camp for up to three months.\n")
    assert {row["rule"] for row in clean_text(raw).report()} <= {"hard-wrap", "edge-whitespace"}
    short = "A short line.\nAnother one follows\nand a third.\n"
    assert clean_text(short).text == short  # too few lines to call it hard-wrapped


def test_markdown_markers_are_removed_words_kept():
    raw = "# Title 22\n#### § 7801. Findings\n\n*Preamble* The **High Contracting Parties** agree.\n" \
          "* (1) a list item stays, and 3 * 4 stays.\n"
    assert clean_text(raw).text == "Title 22\n§ 7801. Findings\n\nPreamble The High Contracting Parties " \
                                   "agree.\n* (1) a list item stays, and 3 * 4 stays.\n"


def test_markdown_links_keep_their_words():
    raw = "Our interview with [Hannah Song](https://example.org/team/) of [LiNK's](https://example.org/) work.\n" \
          "![Screen Shot.jpg](/uploads/Screen%20Shot.jpg)\nEnd [1] and [see] (here).\n"
    assert clean_text(raw).text == "Our interview with Hannah Song of LiNK's work.\n\nEnd [1] and [see] (here).\n"


def test_html_fragment_tags_become_paragraph_breaks_and_entities_characters():
    raw = ('<br><div id="a">\n<span id="s"/>\n\n<p><span class="loc">NINGBO, China</span> Two days '
           'before.</p><span id="m1"/><p>"They seemed happy."</p>\n<p>Tom &amp; Jerry&#39;s  </p>\n</div>')
    r = clean_text(raw)
    assert r.text == 'NINGBO, China Two days before.\n\n"They seemed happy."\n\nTom & Jerry\'s\n'
    assert apply_edits(raw, r.edits) == r.text
    assert clean_text("x < y and a > b, <i>once</i>").text == "x < y and a > b, <i>once</i>\n"  # not HTML


def test_subtitle_transcript_is_joined_into_sentences_and_entities_decoded():
    raw = "When I was little, I thought my country\nwas the best on the planet.\n" \
          "And I grew up singing a song\ncalled &quot;Nothing To Envy.&quot;\nIt&#39;s true.\n" * 12
    text = clean_text(raw).text
    assert text.startswith("When I was little, I thought my country was the best on the planet.\n"
                           "And I grew up singing a song called \"Nothing To Envy.\"\nIt's true.\nWhen I")
    prose = "A paragraph of ordinary prose, &amp; one entity.\n\nAnother paragraph.\n"
    assert clean_text(prose).text == prose  # too short for captions; one entity is left as written


def test_wiki_image_names_are_removed():
    raw = "Laika_ac_School_(6900354645).jpg]]WOMEN'S RIGHTS vary.\n\nWomen_going_out.jpg Before 1945, few.[1]\n"
    assert clean_text(raw).text == "WOMEN'S RIGHTS vary.\n\nBefore 1945, few.[1]\n"


def test_apply_edits_rejects_overlaps():
    with pytest.raises(ValueError):
        apply_edits("abcdef", [Edit(0, 3, "", "x"), Edit(2, 4, "", "y")])


@pytest.mark.parametrize("src", SOURCES, ids=[s["id"] for s in SOURCES])
def test_corpus_clean_texts_are_reproduced_from_raw_and_report(src):
    doc_id = src["id"]
    raw = read_text_exact(REPO / "corpus" / "raw" / f"{doc_id}.txt")
    clean = read_text_exact(REPO / "corpus" / "clean" / f"{doc_id}.txt")
    result = clean_text(raw)
    assert result.text == clean  # committed cleaned text is what the code produces
    report = json.loads((REPO / "corpus" / "clean" / f"{doc_id}.changes.json").read_text())
    edits = [Edit(r["start"], r["end"], r["after"], r["rule"]) for r in report]
    assert all(raw[r["start"]:r["end"]] == r["before"] for r in report)
    assert apply_edits(raw, edits) == clean  # the report lists every change, nothing else altered
    meta = {d["id"]: d for d in json.loads((REPO / "corpus" / "metadata.json").read_text())["documents"]}
    assert meta[doc_id]["sha256_clean"] == sha256_text(clean)


def test_raw_corpus_is_byte_identical_to_seeds():
    seeds = REPO.parent / "shared" / "seeds"
    if not seeds.exists():
        pytest.skip("../shared/seeds is not beside this checkout")
    core = [src for src in SOURCES if src.get("core")]
    assert len(core) == 5
    for src in core:
        assert (REPO / "corpus" / "raw" / f"{src['id']}.txt").read_bytes() == \
            (seeds / f"{src['id']}.txt").read_bytes()


def test_corpus_specific_repairs_present():
    t4 = read_text_exact(REPO / "corpus" / "clean" / "004_f906a5d173e9d91e.txt")
    assert "from China, with" in t4 and "the protection laws" in t4 and "await. China" in t4
    t1 = read_text_exact(REPO / "corpus" / "clean" / "001_bc4fffce1c9afb7e.txt")
    assert "join 120,000 others in gulags" in t1  # page break rejoined
    assert "1 United Nations General Assembly, Transforming Our World" in t1  # footnote kept
    assert "UNHCR–China agreement" in t1 and "much-needed" in t1
    t2 = read_text_exact(REPO / "corpus" / "clean" / "002_15cdb8acb07cd0e8.txt")
    assert "Share this" not in t2 and "Content is protected" not in t2
    assert "Bartlett, J. (2021, October 29)." in t2  # references kept

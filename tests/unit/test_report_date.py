"""The report's own date: --doc-date checking, datelines, stamps and front matter (guidelines 9.1)."""
from __future__ import annotations

from datetime import date

import pytest

from nkner.pipeline.normalize.report_date import DocDateError, parse_doc_date, report_header


def test_parse_doc_date():
    assert parse_doc_date("2025-03-12") == date(2025, 3, 12)
    with pytest.raises(DocDateError, match="no month 13"):
        parse_doc_date("2024-13-45")
    with pytest.raises(DocDateError, match="has no day 29"):
        parse_doc_date("2025-02-29")
    with pytest.raises(DocDateError, match="YYYY-MM-DD"):
        parse_doc_date("12/03/2025")


HEADERS = [
    # (text, date, how, the dateline's place)
    ("SEOUL, March 12, 2025 (Yonhap) -- South Korea said on Monday ...", "2025-03-12", "dateline", "SEOUL"),
    ("BEIJING, China, 5 June 2024 (AFP) — Police detained ...", "2024-06-05", "dateline", "BEIJING"),
    ("WASHINGTON, Sept. 3, 2024 - The State Department ...", "2024-09-03", "dateline", "WASHINGTON"),
    ("Rights groups say China returned 60\n\nSeoul - Chinese authorities deported ...", None, None, "Seoul"),
    ("GENEVA (Reuters) - The UN refugee agency ...", None, None, "GENEVA"),
    ("Title of the piece\nPUBLISHED: 12 March 2025 09:14 GMT\n\nBody.", "2025-03-12", "stamp", None),
    ("Published on Wednesday, March 12, 2025 at 9:00 AM\nBody.", "2025-03-12", "stamp", None),
    ("Updated 2025-03-12 14:05 GMT\nBody.", "2025-03-12", "stamp", None),
    ("---\ntitle: Returns\ndate: 2025-03-12T10:00:00Z\n---\nBody.", "2025-03-12", "front matter", None),
    # not headers: a sentence with a dash, a lowercase continuation, plain prose
    ("China – which deported them – denies it.", None, None, None),
    ("Chinese authorities deported 600 North Koreans - the UN said.", None, None, None),
    ("In October 2023 China deported 600 North Koreans.", None, None, None),
]


@pytest.mark.parametrize("text,iso,how,place", HEADERS)
def test_report_header(text, iso, how, place):
    h = report_header(text)
    assert (h.date, h.how) == (iso, how)
    assert (text[h.place[0]:h.place[1]] if h.place else None) == place


def test_dateline_spans_cover_city_date_and_agency():
    text = "SEOUL, March 12, 2025 (Yonhap) -- Body."
    assert [text[a:b] for a, b in report_header(text).spans] == ["SEOUL", "March 12, 2025", "Yonhap"]

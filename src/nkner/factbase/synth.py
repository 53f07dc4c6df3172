"""Synthetic extraction output for load tests and the bench: many reports made from real ones.

Report ``i`` is a copy of real extraction object ``i mod len(objects)`` (for instance the golden
output of ``nkner extract`` on the sample and the five core texts, tests/golden/extract.jsonl) with
its own ``text_sha256`` (so it is a different report to the store), source, publisher (one of
:data:`PUBLISHERS`) and ``report_date`` (spread over 2015-2025, seeded).  Entities, facts,
statements and their offsets are the real model's output, unchanged; the objects carry no text, so
they are stored without sentences (as saved output whose source files are gone would be).
"""
from __future__ import annotations

import calendar
import copy
import hashlib
import json
import random
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

PUBLISHERS = ("Yonhap", "Reuters", "AP", "AFP", "NK News", "Daily NK", "HRW", "Amnesty International",
              "UNHCR", "OHCHR", "US State Department", "The Guardian", "BBC", "Korea Herald", "NKDB",
              "TJWG", "Radio Free Asia")


def synthesize(objects: list[dict], n: int, seed: int = 0) -> Iterator[dict]:
    """``n`` extraction objects made from ``objects`` (see the module docstring)."""
    rng = random.Random(seed)
    start = date(2015, 1, 1)
    span = (date(2025, 12, 31) - start).days
    for i in range(n):
        obj = copy.deepcopy(objects[i % len(objects)])
        obj.pop("text", None)
        obj["text_sha256"] = hashlib.sha256(f"nkner-synthetic-{seed}-{i}".encode()).hexdigest()
        obj["source"] = f"synthetic/{i:06d}-{Path(obj['source']).name}"
        obj["publisher"] = PUBLISHERS[rng.randrange(len(PUBLISHERS))]
        obj["report_date"] = (start + timedelta(days=rng.randrange(span))).isoformat()
        yield obj


def write_jsonl(objects: list[dict], n: int, path: str | Path, seed: int = 0) -> Path:
    path = Path(path)
    with open(path, "w", encoding="utf-8") as out:
        for obj in synthesize(objects, n, seed):
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return path


# ------------------------------------------------------------------------------------ fact records
_ISO_YEAR = re.compile(r"^(\d{4})(-W\d{2}|-\d{2}(?:-\d{2})?)?$")


def shift_iso(iso: str, years: int) -> str:
    """An ISO value of the date normalizer moved by whole ``years`` (``"2023-10"`` + 2 ->
    ``"2025-10"``; each end of an interval; 29 February becomes the 28th, week 53 week 52 where the
    target year lacks them; anything else unchanged)."""
    if "/" in iso:
        return "/".join(shift_iso(part, years) if part != ".." else part for part in iso.split("/", 1))
    m = _ISO_YEAR.match(iso)
    if not m:
        return iso
    year, rest = int(m.group(1)) + years, m.group(2) or ""
    if rest == "-02-29" and not calendar.isleap(year):
        rest = "-02-28"
    if rest == "-W53" and date(year, 12, 28).isocalendar()[1] < 53:
        rest = "-W52"
    return f"{year:04d}{rest}"


def synthesize_facts(facts: list[dict], n: int, seed: int = 0, *, years: tuple[int, int] = (2000, 2025),
                     new_story: float = 0.5, retell: float = 0.3, own_word: float = 0.5,
                     drop_word: float = 0.2, jitter_days: float = 20.0, undated: float = 0.05) -> list[dict]:
    """``n`` fact records (``nkner.factbase.grouping``) made from real ones, for the grouping's
    bench and tests: a collection of many reports about fewer events, with a realistic spread of
    report dates.

    Each synthetic report copies the facts of one real report.  With probability ``new_story`` it
    starts a new *story*: a real report chosen at random, moved to a year drawn uniformly from
    ``years`` (its report date and every time value move by the same whole number of years; a real
    report without a date gets a random day of that year, its times moved as its first time value
    is); otherwise it covers an existing story, chosen in proportion to the reports already
    covering it (well-covered events draw more reports; with ``new_story`` 0.5 the number of
    reports per story has a tail falling as its cube).  A report's date is its story's date plus
    an exponential delay of mean ``jitter_days`` (dates known to the month or year only keep their
    precision); a share ``undated`` of the reports have none.  A story replaces each word of the
    real report with probability ``own_word`` by a word of its own (``s12w3``: another event is told
    with other names and details, so the many copies of one real report are not one event).  A
    report covering an existing story retells each of its facts with probability ``retell`` in the
    story's words; the others it tells in words of its own (reports of one event share its main
    facts, not every background sentence).  Each report then drops each word of each sentence with
    probability ``drop_word`` (reports of one event word it differently).  Each copy gets its own report id (``syn000123``), publisher, fact ids (the real fact's offsets after the new
    report id) and source (``synthetic/<report id>/<real report id>``)."""
    rng = random.Random(seed)
    by_report: dict[str, list[dict]] = {}
    for f in sorted(facts, key=lambda f: f["fact_id"]):
        by_report.setdefault(f["report_id"], []).append(f)
    if not by_report:
        raise ValueError("no facts to synthesize from")
    real = sorted(by_report)
    stories: list[tuple[str, int, str, dict]] = []   # (real report, years moved, story date, own words)
    covered: list[int] = []                      # story index of every synthetic report so far
    out: list[dict] = []
    k = 0
    while len(out) < n:
        if not stories or rng.random() < new_story:
            rid = real[rng.randrange(len(real))]
            year = rng.randint(*years)
            real_date = by_report[rid][0].get("report_date")
            anchor = real_date or next((t for f in by_report[rid] for t in f.get("time") or []), "")
            m = re.match(r"\d{4}", anchor or "")
            shift = year - int(m.group(0)) if m else 0
            if real_date and m:
                story_date = shift_iso(real_date, shift)
            else:
                story_date = (date(year, 1, 1) + timedelta(days=rng.randrange(365))).isoformat()
            stories.append((rid, shift, story_date, {}))
            story, fresh = len(stories) - 1, True
        else:
            story, fresh = covered[rng.randrange(len(covered))], False
        covered.append(story)
        rid, shift, report_date, own = stories[story]
        report_id = f"syn{k:06d}"
        k += 1
        publisher = PUBLISHERS[rng.randrange(len(PUBLISHERS))]
        if len(report_date) == 10:
            delay = timedelta(days=int(rng.expovariate(1 / jitter_days)))
            report_date = (date.fromisoformat(report_date) + delay).isoformat()
        if rng.random() < undated:
            report_date = None
        mine: dict = {}
        for f in by_report[rid]:
            words, table, tag = [], own, f"s{story}"
            if not fresh and rng.random() >= retell:
                table, tag = mine, f"r{k - 1}"
            for w in f.get("sentence", "").split():
                if w not in table:
                    table[w] = f"{tag}w{len(table)}" if rng.random() < own_word else w
                words.append(table[w])
            kept = [w for w in words if rng.random() >= drop_word] or words[:1]
            out.append({**copy.deepcopy(f), "fact_id": f"{report_id}:{f['fact_id'].rsplit(':', 1)[-1]}",
                        "report_id": report_id, "source": f"synthetic/{report_id}/{rid}", "publisher": publisher,
                        "report_date": report_date, "time": [shift_iso(t, shift) for t in f.get("time") or []],
                        "sentence": " ".join(kept)})
    return out[:n]

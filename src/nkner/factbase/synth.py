"""Synthetic extraction output for load tests and the bench: many reports made from real ones.

Report ``i`` is a copy of real extraction object ``i mod len(objects)`` (for instance the golden
output of ``nkner extract`` on the sample and the five core texts, tests/golden/extract.jsonl) with
its own ``text_sha256`` (so it is a different report to the store), source, publisher (one of
:data:`PUBLISHERS`) and ``report_date`` (spread over 2015-2025, seeded).  Entities, facts,
statements and their offsets are the real model's output, unchanged; the objects carry no text, so
they are stored without sentences (as saved output whose source files are gone would be).
"""
from __future__ import annotations

import copy
import hashlib
import json
import random
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

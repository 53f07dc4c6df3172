"""Output formats of `nkner extract`: views of the same report object.

- ``jsonl``: one JSON object per report per line (streamed: entities are written as they are
  found, facts and statements spooled to a temporary file, so memory stays bounded);
- ``json``: a JSON array of the report objects (streamed the same way);
- ``table``: a readable table of facts per report (rich);
- ``csv``: one row per fact (source, event type, trigger, arguments, count, sentence, confidence);
- ``html``: a displaCy entity page per report with its facts listed.
"""
from __future__ import annotations

import csv
import html
import io
import json
import tempfile
from typing import IO

from nkner.schema import DISPLACY_COLORS, FACT_ROLES

FORMATS = ("jsonl", "json", "table", "csv", "html")
EXTENSIONS = {"jsonl": ".jsonl", "json": ".json", "table": ".txt", "csv": ".csv", "html": ".html"}


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


class Writer:
    """Base: subclasses implement ``report`` (a complete object) or stream chunks."""
    streaming = False

    def __init__(self, out: IO[str]):
        self.out = out
        self.count = 0

    def begin(self) -> None:
        pass

    def end(self) -> None:
        pass

    def report(self, obj: dict) -> None:
        raise NotImplementedError

    def stream(self, header: dict, chunks) -> None:
        """Default: collect the chunks into one object."""
        obj = dict(header, entities=[], facts=[], statements=[])
        for e, f, s in chunks:
            obj["entities"] += e
            obj["facts"] += f
            obj["statements"] += s
        self.report(obj)


class JsonlWriter(Writer):
    streaming = True
    separator = "\n"

    def _open(self) -> None:
        pass

    def report(self, obj: dict) -> None:
        self._sep()
        self.out.write(_dump(obj))
        self._close_item()

    def _sep(self) -> None:
        self.count += 1

    def _close_item(self) -> None:
        self.out.write("\n")

    def stream(self, header: dict, chunks) -> None:
        self._sep()
        self.out.write(_dump(header)[:-1] + ', "entities": [')
        first = True
        with tempfile.TemporaryFile("w+", encoding="utf-8") as facts, \
                tempfile.TemporaryFile("w+", encoding="utf-8") as stmts:
            nf = ns = 0
            for ents, fs, ss in chunks:
                for e in ents:
                    self.out.write(("" if first else ", ") + _dump(e))
                    first = False
                for f in fs:
                    facts.write(("" if nf == 0 else ", ") + _dump(f))
                    nf += 1
                for s in ss:
                    stmts.write(("" if ns == 0 else ", ") + _dump(s))
                    ns += 1
            for name, spool in (("facts", facts), ("statements", stmts)):
                self.out.write(f'], "{name}": [')
                spool.seek(0)
                while block := spool.read(1 << 16):
                    self.out.write(block)
            self.out.write("]}")
        self._close_item()


class JsonWriter(JsonlWriter):
    def begin(self) -> None:
        self.out.write("[\n")

    def _sep(self) -> None:
        if self.count:
            self.out.write(",\n")
        self.count += 1

    def _close_item(self) -> None:
        pass

    def end(self) -> None:
        self.out.write("\n]\n")


def _args(fact: dict, role: str) -> str:
    parts = []
    for a in fact.get(role, []):
        s = a["text"]
        if a.get("canonical") and a["canonical"] != a["text"]:
            s += f" [{a['canonical']}]"
        if a.get("iso"):
            s += f" [{a['iso']}]"
        if a.get("count"):
            s = f"{a['count']['text']} × {s}"
        parts.append(s)
    return "; ".join(parts)


def fact_rows(obj: dict) -> list[dict]:
    rows = []
    for f in obj.get("facts", []):
        row = {"source": obj["source"], "event_type": f["event_type"], "trigger": f["trigger"]["text"],
               "trigger_start": f["trigger"]["start"], "trigger_end": f["trigger"]["end"]}
        for role in FACT_ROLES:
            row[role] = _args(f, role)
        row["count"] = f["count"]["text"] if f.get("count") else ""
        row["sentence_start"] = f["sentence"]["start"]
        row["sentence_end"] = f["sentence"]["end"]
        row["confidence"] = f["confidence"]
        rows.append(row)
    return rows


class CsvWriter(Writer):
    fields = ["source", "event_type", "trigger", "trigger_start", "trigger_end", *FACT_ROLES, "count",
              "sentence_start", "sentence_end", "confidence", "error"]

    def begin(self) -> None:
        self.w = csv.DictWriter(self.out, fieldnames=self.fields, extrasaction="ignore")
        self.w.writeheader()

    def report(self, obj: dict) -> None:
        self.count += 1
        if "error" in obj:
            self.w.writerow({"source": obj["source"], "error": obj["error"]})
            return
        for row in fact_rows(obj):
            self.w.writerow(row)


class TableWriter(Writer):
    def report(self, obj: dict) -> None:
        from rich.console import Console
        from rich.table import Table

        self.count += 1
        console = Console(file=self.out, width=160, force_terminal=getattr(self.out, "isatty", lambda: False)())
        if "error" in obj:
            console.print(f"[bold red]{obj['source']}: error: {obj['error']}[/]")
            return
        n = {}
        for e in obj["entities"]:
            n[e["label"]] = n.get(e["label"], 0) + 1
        console.print(f"[bold]{obj['source']}[/]: {len(obj['entities'])} entities "
                      f"({', '.join(f'{k} {v}' for k, v in sorted(n.items()))}), {len(obj['facts'])} facts, "
                      f"{len(obj['statements'])} statements")
        t = Table(show_lines=False)
        for col in ("event", "trigger", "agent", "affected", "count", "time", "place", "instrument", "conf."):
            t.add_column(col, overflow="fold")
        for f in obj["facts"]:
            t.add_row(f["event_type"] or "", f["trigger"]["text"], _args(f, "agent"), _args(f, "affected"),
                      f["count"]["text"] if f.get("count") else "", _args(f, "time"), _args(f, "place"),
                      _args(f, "instrument"), f"{f['confidence']:.2f}" if f["confidence"] is not None else "")
        console.print(t)
        for s in obj["statements"]:
            console.print(f"  {s['relation']}: {s['from']['text']} → {s['to']['text']}")


class HtmlWriter(Writer):
    def begin(self) -> None:
        self.out.write("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>nkner extraction"
                       "</title><style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
                       "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;"
                       "font-size:13px;text-align:left}</style></head><body>\n")

    def report(self, obj: dict, text: str | None = None) -> None:
        self.count += 1
        self.out.write(f"<h2>{html.escape(obj['source'])}</h2>\n")
        if "error" in obj:
            self.out.write(f"<p style='color:#b00'>error: {html.escape(obj['error'])}</p>\n")
            return
        if text is not None:
            from spacy import displacy
            ents = [{"start": e["start"], "end": e["end"],
                     "label": e["label"] + (f" · {e['event_type']}" if e.get("event_type") else "")}
                    for e in obj["entities"]]
            colors = dict(DISPLACY_COLORS)
            colors.update({f"EVENT · {t}": DISPLACY_COLORS["EVENT"] for t in
                           {e.get("event_type") for e in obj["entities"] if e.get("event_type")}})
            self.out.write(displacy.render({"text": text, "ents": ents, "title": None}, style="ent",
                                           manual=True, page=False, options={"colors": colors}))
        rows = fact_rows(obj)
        self.out.write(f"<h3>Facts ({len(rows)})</h3>\n<table><tr>" + "".join(
            f"<th>{c}</th>" for c in ("event", "trigger", *FACT_ROLES, "count", "conf.")) + "</tr>\n")
        for r in rows:
            cells = [r["event_type"], r["trigger"], *[r[x] for x in FACT_ROLES], r["count"], r["confidence"]]
            self.out.write("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>\n")
        self.out.write("</table>\n")
        if obj["statements"]:
            self.out.write("<h3>Statements</h3><ul>" + "".join(
                f"<li>{html.escape(s['relation'])}: {html.escape(s['from']['text'])} → "
                f"{html.escape(s['to']['text'])}</li>" for s in obj["statements"]) + "</ul>\n")

    def end(self) -> None:
        self.out.write("</body></html>\n")


WRITERS = {"jsonl": JsonlWriter, "json": JsonWriter, "table": TableWriter, "csv": CsvWriter, "html": HtmlWriter}


def render(obj: dict, fmt: str, text: str | None = None) -> str:
    """One report rendered as a string (convenience for the Python API and tests)."""
    buf = io.StringIO()
    w = WRITERS[fmt](buf)
    w.begin()
    if fmt == "html":
        w.report(obj, text=text)
    else:
        w.report(obj)
    w.end()
    return buf.getvalue()

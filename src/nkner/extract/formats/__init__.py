"""Output formats of `nkner extract`: views of the same report object.

- ``jsonl``: one JSON object per report per line (streamed: entities are written as they are
  found, facts and statements spooled to a temporary file, so memory stays bounded);
- ``json``: a JSON array of the report objects (streamed the same way);
- ``table``: a readable table of facts per report (rich);
- ``csv``: one row per fact (source, event type, trigger, arguments, count, sentence, confidence), or
  with ``rows="entities"`` one row per entity (offsets, label, normalized values), or with
  ``rows="statements"`` one row per statement;
- ``html``: one page; per report its text with the entities highlighted in displaCy's colours, each
  label followed by its normalized value (event type, canonical name, number, ISO date), a legend,
  and the facts, each linked to (and highlighting) its sentence in the text.
"""
from __future__ import annotations

import csv
import html
import json
import tempfile
from typing import IO

from nkner.extract.facts import merge_chunks
from nkner.schema import DISPLACY_COLORS, FACT_ROLES

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
        self.report(merge_chunks(header, chunks))


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
        # spooled in memory up to 1 MB each, on disk beyond (a long report's facts)
        with tempfile.SpooledTemporaryFile(1 << 20, "w+", encoding="utf-8") as facts, \
                tempfile.SpooledTemporaryFile(1 << 20, "w+", encoding="utf-8") as stmts:
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


def number_text(obj: dict) -> str:
    """A NUMBER's normalized value as a short text: "600", "100-200", "at_most 600", "30 percent"."""
    if "value" in obj:
        v = f"{obj['value']:g}" if isinstance(obj["value"], (int, float)) else str(obj["value"])
    elif "min" in obj or "max" in obj:
        v = f"{obj.get('min', '')}-{obj.get('max', '')}"
    else:
        return ""
    return " ".join(x for x in (obj.get("qualifier"), v, obj.get("unit")) if x)


def normalized_text(e: dict) -> str:
    """An entity's normalized value as a short text (empty when it has none)."""
    if e.get("label") == "EVENT" or "event_type" in e:
        return e.get("event_type") or ""
    if "canonical" in e:
        return e["canonical"]
    if "iso" in e:
        return e["iso"]
    if "duration" in e:
        return e["duration"]
    if e.get("relative"):
        return "relative"
    return number_text(e)


ENTITY_FIELDS = ["source", "start", "end", "label", "text", "event_type", "canonical", "value", "min", "max",
                 "qualifier", "unit", "iso", "duration", "relative"]
STATEMENT_FIELDS = ["source", "relation", "from_start", "from_end", "from_text", "from_value", "to_start", "to_end",
                    "to_text", "to_canonical"]


def entity_rows(obj: dict) -> list[dict]:
    return [{"source": obj["source"], **e} for e in obj.get("entities", [])]


def statement_rows(obj: dict) -> list[dict]:
    rows = []
    for st in obj.get("statements", []):
        f, t = st["from"], st["to"]
        rows.append({"source": obj["source"], "relation": st["relation"], "from_start": f["start"],
                     "from_end": f["end"], "from_text": f["text"], "from_value": number_text(f) or f.get("canonical", ""),
                     "to_start": t["start"], "to_end": t["end"], "to_text": t["text"],
                     "to_canonical": t.get("canonical", "")})
    return rows


CSV_ROWS = {"facts": (fact_rows, ["source", "event_type", "trigger", "trigger_start", "trigger_end", *FACT_ROLES,
                                  "count", "sentence_start", "sentence_end", "confidence"]),
            "entities": (entity_rows, ENTITY_FIELDS),
            "statements": (statement_rows, STATEMENT_FIELDS)}


class CsvWriter(Writer):
    """One row per fact (default), entity or statement; an unreadable report is a row with its error."""

    def __init__(self, out: IO[str], rows: str = "facts"):
        super().__init__(out)
        self.rows, fields = CSV_ROWS[rows]
        self.fields = fields + ["error"]

    def begin(self) -> None:
        self.w = csv.DictWriter(self.out, fieldnames=self.fields, extrasaction="ignore")
        self.w.writeheader()

    def report(self, obj: dict) -> None:
        self.count += 1
        if "error" in obj:
            self.w.writerow({"source": obj["source"], "error": obj["error"]})
            return
        for row in self.rows(obj):
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


_HTML_STYLE = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1100px;margin:auto;padding:0 1em}
.text{line-height:2.4;white-space:pre-wrap;border:1px solid #ddd;padding:1em;border-radius:4px}
mark{padding:0.2em 0.35em;margin:0 0.1em;border-radius:0.35em;line-height:1;box-decoration-break:clone}
mark .lab{font-size:0.62em;font-weight:bold;line-height:1;text-transform:none;vertical-align:middle;margin-left:0.4em}
mark .val{font-weight:normal;font-style:italic}
.sent:target{outline:3px solid #f5b800;background:#fff8d6;border-radius:3px}
.legend span{display:inline-block;padding:0.15em 0.5em;margin:0.15em;border-radius:0.35em;font-size:0.85em}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;
text-align:left;vertical-align:top}tr:target{background:#fff3b0}
"""


def _legend() -> str:
    from nkner.schema import EVENT_TYPES, LABELS

    items = "".join(f"<span style='background:{lab.color}' title='{html.escape(lab.description)}'>"
                    f"<b>{lab.name}</b></span>" for lab in LABELS)
    return ("<div class='legend'><b>Legend</b> " + items + "<br><small>Each highlight ends with its label and, in "
            "italics, its normalized value: the event type of an EVENT, the canonical name of an actor, instrument "
            "or place, the value of a NUMBER (with its qualifier and unit), the ISO 8601 value of a DATE. "
            "Event types: " + html.escape(", ".join(EVENT_TYPES)) + ". Each fact links to its sentence.</small>"
            "</div>\n")


def _marked_text(text: str, entities: list[dict], sentences: list[tuple[int, int]]) -> str:
    """The text with entities as <mark> and the facts' sentences as targets (id s<start>)."""
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    ent_spans = sorted((e["start"], e["end"]) for e in entities)
    for start, end in sorted(set(sentences)):
        # a sentence end inside an entity moves to the entity's end, so the tags nest
        end = max([end] + [b for a, b in ent_spans if a < end < b])
        opens.setdefault(start, []).append(f"<span class='sent' id='s{start}'>")
        closes.setdefault(end, []).insert(0, "</span>")
    for e in entities:
        color = DISPLACY_COLORS.get(e["label"], "#ddd")
        value = normalized_text(e)
        if e.get("canonical") == e["text"]:  # a canonical name the text already spells
            value = ""
        title = html.escape(json.dumps({k: v for k, v in e.items() if k not in ("start", "end", "text")},
                                       ensure_ascii=False), quote=True)
        lab = e["label"] + (f" · <span class='val'>{html.escape(value)}</span>" if value else "")
        opens.setdefault(e["start"], []).append(f"<mark style='background:{color}' title=\"{title}\">")
        closes.setdefault(e["end"], []).insert(0, f"<span class='lab'>{lab}</span></mark>")
    out, pos = [], 0
    for k in sorted(set(opens) | set(closes)):
        out.append(html.escape(text[pos:k]))
        out.extend(closes.get(k, []))
        out.extend(opens.get(k, []))
        pos = k
    out.append(html.escape(text[pos:]))
    return "".join(out)


class HtmlWriter(Writer):
    def begin(self) -> None:
        self.out.write("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>nkner extraction"
                       f"</title><style>{_HTML_STYLE}</style></head><body>\n<h1>nkner extraction</h1>\n{_legend()}")

    def report(self, obj: dict, text: str | None = None) -> None:
        self.count += 1
        n = self.count
        self.out.write(f"<h2>{html.escape(obj['source'])}</h2>\n")
        if "error" in obj:
            self.out.write(f"<p style='color:#b00'>error: {html.escape(obj['error'])}</p>\n")
            return
        sentences = [(f["sentence"]["start"], f["sentence"]["end"]) for f in obj["facts"]]
        if text is not None:
            body = _marked_text(text, obj["entities"], sentences).replace("id='s", f"id='r{n}s")
            self.out.write(f"<div class='text'>{body}</div>\n")
        rows = fact_rows(obj)
        self.out.write(f"<h3>Facts ({len(rows)})</h3>\n<table><tr>" + "".join(
            f"<th>{c}</th>" for c in ("event", "trigger", *FACT_ROLES, "count", "conf.", "sentence")) + "</tr>\n")
        for r in rows:
            cells = [r["event_type"], r["trigger"], *[r[x] for x in FACT_ROLES], r["count"], r["confidence"]]
            link = (f"<a href='#r{n}s{r['sentence_start']}'>{r['sentence_start']}-{r['sentence_end']}</a>"
                    if text is not None else f"{r['sentence_start']}-{r['sentence_end']}")
            self.out.write("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                           + f"<td>{link}</td></tr>\n")
        self.out.write("</table>\n")
        if obj["statements"]:
            self.out.write("<h3>Statements</h3><ul>" + "".join(
                f"<li>{html.escape(s['relation'])}: {html.escape(s['from']['text'])} → "
                f"{html.escape(s['to']['text'])}</li>" for s in obj["statements"]) + "</ul>\n")

    def end(self) -> None:
        self.out.write("</body></html>\n")


WRITERS = {"jsonl": JsonlWriter, "json": JsonWriter, "table": TableWriter, "csv": CsvWriter, "html": HtmlWriter}


def writer(fmt: str, out: IO[str], rows: str = "facts") -> Writer:
    """The writer of a format (``rows`` picks the CSV table: facts, entities or statements)."""
    return CsvWriter(out, rows) if fmt == "csv" else WRITERS[fmt](out)


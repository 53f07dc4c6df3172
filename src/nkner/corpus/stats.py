"""`nkner corpus stats`: counts per document, label, event type and relation, and a bar chart."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nkner.atomic import atomic_save_figure
from nkner.corpus.store import Document, load
from nkner.schema import EVENT_TYPE_NAMES, LABEL_NAMES, LABELS, RELATION_NAMES


@dataclass
class Stats:
    per_doc: list[dict] = field(default_factory=list)
    labels: Counter = field(default_factory=Counter)
    event_types: Counter = field(default_factory=Counter)
    relations: Counter = field(default_factory=Counter)
    label_by_doc: dict[str, Counter] = field(default_factory=dict)


def compute(docs: list[Document] | None = None) -> Stats:
    docs = load() if docs is None else docs
    s = Stats()
    for d in docs:
        lab = Counter(e.label for e in d.entities)
        s.label_by_doc[d.id] = lab
        s.labels.update(lab)
        s.event_types.update(e.event_type for e in d.entities if e.label == "EVENT")
        s.relations.update(r.type for r in d.relations)
        s.per_doc.append({"doc_id": d.id, "status": d.status, "words": len(d.text.split()),
                          "entities": len(d.entities), "relations": len(d.relations)})
    return s


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def render_markdown(s: Stats) -> str:
    lines = ["### Per document", ""]
    lines += _table(["document", "status", "words", "entities", "relations"] + list(LABEL_NAMES),
                    [[r["doc_id"], r["status"], r["words"], r["entities"], r["relations"]]
                     + [s.label_by_doc[r["doc_id"]].get(lab, 0) for lab in LABEL_NAMES] for r in s.per_doc]
                    + [["**total**", "", sum(r["words"] for r in s.per_doc),
                        sum(r["entities"] for r in s.per_doc), sum(r["relations"] for r in s.per_doc)]
                       + [s.labels.get(lab, 0) for lab in LABEL_NAMES]])
    lines += ["", "### Event types", ""]
    lines += _table(["event type", "count"], [[t, s.event_types.get(t, 0)] for t in EVENT_TYPE_NAMES])
    lines += ["", "### Relations", ""]
    lines += _table(["relation", "count"], [[t, s.relations.get(t, 0)] for t in RELATION_NAMES])
    return "\n".join(lines) + "\n"


def render_text(s: Stats) -> str:
    import io

    from rich.console import Console
    from rich.table import Table

    # recorded into a buffer, not printed: the caller prints the returned text once
    console = Console(record=True, width=120, force_terminal=False, file=io.StringIO())
    t = Table(title="Per document")
    for col in ["document", "status", "words", "entities", "relations"] + list(LABEL_NAMES):
        t.add_column(col)
    for r in s.per_doc:
        t.add_row(r["doc_id"], r["status"], str(r["words"]), str(r["entities"]), str(r["relations"]),
                  *[str(s.label_by_doc[r["doc_id"]].get(lab, 0)) for lab in LABEL_NAMES])
    console.print(t)
    for title, names, counter in (("Event types", EVENT_TYPE_NAMES, s.event_types),
                                  ("Relations", RELATION_NAMES, s.relations)):
        tt = Table(title=title)
        tt.add_column(title[:-1].lower())
        tt.add_column("count")
        for n in names:
            tt.add_row(n, str(counter.get(n, 0)))
        console.print(tt)
    return console.export_text()


def plot(s: Stats, path: Path) -> Path:
    """Bar charts of label, event-type and relation counts (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    colors = [lab.color for lab in LABELS]
    axes[0].bar(LABEL_NAMES, [s.labels.get(x, 0) for x in LABEL_NAMES], color=colors, edgecolor="#333")
    axes[0].set_title("Entities per label")
    axes[1].bar(EVENT_TYPE_NAMES, [s.event_types.get(x, 0) for x in EVENT_TYPE_NAMES], color="#ff9561",
                edgecolor="#333")
    axes[1].set_title("EVENT spans per event type")
    axes[2].bar(RELATION_NAMES, [s.relations.get(x, 0) for x in RELATION_NAMES], color="#1f77b4",
                edgecolor="#333")
    axes[2].set_title("Relations per type")
    for ax in axes:
        ax.tick_params(axis="x", rotation=45)
        for lbl in ax.get_xticklabels():
            lbl.set_ha("right")
    fig.suptitle(f"nkner gold corpus: {sum(s.labels.values())} entities, "
                 f"{sum(s.relations.values())} relations in {len(s.per_doc)} documents")
    fig.tight_layout()
    return atomic_save_figure(fig, path)

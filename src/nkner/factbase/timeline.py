"""`nkner db timeline`: events per month by type, their reported figures and their corroboration.

An *event* is an event group (facts of several reports grouped by ``group_facts``), placed at the
earliest month of its facts (a fact's month: its own time argument when that lies within one
month, else its report's month when it has no time argument; see ``facts.month``).  The picture has
two panels sharing the month axis:

* top: events per month, stacked by event type; the solid part of each bar is the events reported by
  two or more publishers, the pale hatched part those with a single publisher;
* bottom: each event's figures (log scale): a dot at the conservative figure, sized by the number of
  reports, a line from the lowest to the highest figure reported, a red ring where the figures are in
  conflict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from nkner.factbase.query import Filters, query_groups
from nkner.schema import EVENT_TYPE_NAMES

#: one colour per event type (matplotlib's tab10, without its grey, which the legend uses)
TYPE_COLORS = dict(zip(EVENT_TYPE_NAMES, ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                          "#e377c2", "#17becf")))


@dataclass
class Drawn:
    path: Path | None
    events: int = 0            # events matching the filters
    placed: int = 0            # of which drawn (they have a month)
    with_figures: int = 0
    conflicts: int = 0
    stale: list[str] = field(default_factory=list)

    def line(self) -> str:
        if not self.events:
            return "no event matches the filters; nothing drawn"
        out = (f"{self.placed} of {self.events} events drawn ({self.events - self.placed} without a month), "
               f"{self.with_figures} with figures, {self.conflicts} in conflict -> {self.path}")
        if self.stale:
            out += f"; groups of {', '.join(self.stale)} are out of date (nkner db group)"
        return out


def _month_date(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 15)


def _title(filters: Filters) -> str:
    parts = [f"{k} {v}" for k, v in (("type", filters.event_type), ("actor", filters.actor),
                                     ("place", filters.place), ("instrument", filters.instrument),
                                     ("since", filters.since), ("until", filters.until)) if v]
    return "Events per month" + (f" ({', '.join(parts)})" if parts else "")


def draw(db, filters: Filters, output: str | Path) -> Drawn:
    """Draw the timeline of the events matching ``filters`` into the PNG ``output`` (nothing is
    written when no event matches)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    from nkner.factbase.ingest import stale_types

    output = Path(output)
    groups = list(query_groups(db, filters, sources=False))
    drawn = Drawn(output, events=len(groups), stale=stale_types(db))
    placed = [g for g in groups if g["month"]]
    drawn.placed = len(placed)
    if not placed:
        drawn.path = None
        return drawn
    months = sorted({g["month"] for g in placed})
    types = [t for t in EVENT_TYPE_NAMES if any(g["event_type"] == t for g in placed)]
    counts = {(t, m, multi): 0 for t in types for m in months for multi in (True, False)}
    for g in placed:
        counts[(g["event_type"], g["month"], g["n_publishers"] >= 2)] += 1

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 7.5), sharex=True, height_ratios=(3, 2))
    xs = [_month_date(m) for m in months]
    width = 27   # days: a month's bar, visible however long the period drawn
    base = [0] * len(months)
    for t in types:
        for multi in (True, False):
            heights = [counts[(t, m, multi)] for m in months]
            top.bar(xs, heights, width=width, bottom=base, color=TYPE_COLORS[t], alpha=1.0 if multi else 0.35,
                    hatch=None if multi else "///", edgecolor=TYPE_COLORS[t], linewidth=0)
            base = [b + h for b, h in zip(base, heights)]
    top.set_ylabel("events")
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_title(_title(filters))
    handles = [Patch(color=TYPE_COLORS[t], label=t) for t in types]
    handles += [Patch(facecolor="grey", label="2+ publishers"),
                Patch(facecolor="grey", alpha=0.35, hatch="///", edgecolor="grey", label="one publisher")]
    top.legend(handles=handles, ncol=2, fontsize=8, loc="upper left")

    with_figs = [g for g in placed if g["conservative"] is not None]
    drawn.with_figures = len(with_figs)
    drawn.conflicts = sum(1 for g in with_figs if g["conflict"])
    for g in with_figs:
        x = _month_date(g["month"])
        color = TYPE_COLORS[g["event_type"]]
        low = g["low"] if g["low"] is not None else g["conservative"]
        high = g["high"] if g["high"] is not None else g["conservative"]
        if high > low:
            bottom.vlines(x, max(low, 0.5), high, color=color, alpha=0.6, linewidth=1.5)
        size = 18 + 22 * min(g["n_reports"], 10)
        bottom.scatter([x], [max(g["conservative"], 0.5)], s=size, color=color, alpha=0.8, zorder=3,
                       edgecolors="red" if g["conflict"] else "none", linewidths=1.8 if g["conflict"] else 0)
    bottom.set_yscale("log")
    bottom.set_ylabel("figures reported (conservative)")
    bottom.legend(handles=[Line2D([], [], marker="o", color="grey", linestyle="", markersize=5, label="1 report"),
                           Line2D([], [], marker="o", color="grey", linestyle="", markersize=10, label="5+ reports"),
                           Line2D([], [], color="grey", label="range of figures"),
                           Line2D([], [], marker="o", color="white", markeredgecolor="red", linestyle="",
                                  markersize=8, label="figures in conflict")], fontsize=8, loc="upper left")
    if not with_figs:
        bottom.text(0.5, 0.5, "no figures reported", transform=bottom.transAxes, ha="center", color="grey")
    note = f"{drawn.placed} of {drawn.events} events have a month"
    if drawn.stale:
        note += f"; groups of {', '.join(drawn.stale)} are out of date"
    fig.text(0.01, 0.005, note, fontsize=8, color="grey")
    fig.autofmt_xdate()
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(output)
    return drawn

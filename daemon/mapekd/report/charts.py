"""The report's charts: matplotlib figures rendered to inline SVG (text drawn as paths, so the
page needs no font and no network). Every mark of a chart — a bar — carries the id
`<chart>-bar-<n>`, and every id in a chart is prefixed with its name, so that several charts can
share one page (and a test can count the marks)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

STATUS_COLOURS = {"resolved": "#2e7d32", "gave_up": "#8e24aa", "open": "#c62828"}
SOURCE_COLOURS = {
    "knowledge": "#1565c0",
    "fleet": "#00838f",
    "llm": "#ef6c00",
    "rule": "#546e7a",
    "policy": "#8d6e63",
}
MAX_BARS = 15
"""Charts per signature show the first this many (the table below lists all)."""
_RC: dict[Any, Any] = {
    "svg.fonttype": "path",
    "svg.hashsalt": "mapekd",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_IDS = re.compile(r'(\bid="|url\(#|href="#)')


def _svg(name: str, height: float, draw: Callable[[Axes], None]) -> str:
    with rc_context(_RC):
        figure = Figure(figsize=(7.5, height), layout="constrained")
        draw(figure.subplots())
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    text = text[text.index("<svg") :]
    return _IDS.sub(lambda m: f"{m.group(1)}{name}-", text)


def _rows_height(rows: int) -> float:
    """Inches for a horizontal bar chart of this many rows."""
    return 1.2 + 0.35 * max(rows, 2)


def _mark(bars: BarContainer, values: list[float], start: int = 0, every: bool = False) -> int:
    """Give each drawn bar (of non-zero size, or `every` one) its id; returns the next number."""
    n = start
    for patch, value in zip(bars.patches, values, strict=True):
        if every or value:
            patch.set_gid(f"bar-{n}")
            n += 1
    return n


def incidents_over_time(days: list[dict[str, Any]]) -> str:
    def draw(ax: Axes) -> None:
        labels = [d["day"][5:] for d in days]
        bottom = [0] * len(days)
        n = 0
        for status in ("resolved", "gave_up", "open"):
            values = [d[status] for d in days]
            bars = ax.bar(
                labels, values, bottom=bottom, color=STATUS_COLOURS[status], label=status.replace("_", " ")
            )
            n = _mark(bars, values, n)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_ylabel("incidents opened")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper left", frameon=False, ncols=3)
        ax.tick_params(axis="x", labelrotation=45 if len(days) > 10 else 0)

    return _svg("incidents", 2.8, draw)


def time_to_mitigate(rows: list[dict[str, Any]]) -> str:
    shown = sorted(rows, key=lambda r: r["p50_s"], reverse=True)[:MAX_BARS]

    def draw(ax: Axes) -> None:
        names = [r["signature"] for r in shown][::-1]
        p50 = [r["p50_s"] for r in shown][::-1]
        p90 = [r["p90_s"] for r in shown][::-1]
        bars = ax.barh(names, p50, color="#1565c0", label="p50")
        _mark(bars, p50, every=True)
        ax.scatter(p90, names, marker="|", s=200, color="#0d1b2a", label="p90", zorder=3)
        ax.set_xlabel("seconds from opened to resolved")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)

    return _svg("ttm", _rows_height(len(shown)), draw)


def action_success(rows: list[dict[str, Any]]) -> str:
    shown = sorted(rows, key=lambda r: r["executions"], reverse=True)[:MAX_BARS]

    def draw(ax: Axes) -> None:
        names = [f"{r['signature']} : {r['action']}" for r in shown][::-1]
        rates = [r["success_rate"] or 0.0 for r in shown][::-1]
        colours = ["#2e7d32" if v >= 0.8 else "#f9a825" if v >= 0.5 else "#c62828" for v in rates]
        ax.barh(names, [1.0] * len(names), color="#eceff1")  # the track: a 0% bar still shows
        bars = ax.barh(names, rates, color=colours)
        _mark(bars, rates, every=True)
        for bar, row in zip(bars.patches, shown[::-1], strict=True):
            ax.annotate(
                f"{row['resolved']}/{row['verified']} ({row['success_rate'] or 0:.0%})",
                (1.0, bar.get_y() + bar.get_height() / 2),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
            )
        ax.set_xlim(0, 1.3)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_xlabel("success rate (resolved / verified runs)")

    return _svg("actions", _rows_height(len(shown)), draw)


def decision_sources(rows: list[dict[str, Any]]) -> str:
    def draw(ax: Axes) -> None:
        names = [r["source"] for r in rows]
        counts = [r["decisions"] for r in rows]
        bars = ax.bar(names, counts, color=[SOURCE_COLOURS.get(n, "#999") for n in names])
        _mark(bars, counts, every=True)
        ax.bar_label(bars, padding=2)
        ax.set_ylabel("decisions")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))

    return _svg("sources", 2.4, draw)


def llm_per_day(days: list[dict[str, Any]]) -> str:
    def draw(ax: Axes) -> None:
        labels = [d["day"][5:] for d in days]
        calls = [d["calls"] for d in days]
        bars = ax.bar(labels, calls, color="#ef6c00", label="calls")
        _mark(bars, calls)
        ax.set_ylabel("calls")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        cost = ax.twinx()
        cost.plot(labels, [d["cost"] for d in days], color="#0d1b2a", marker="o", label="cost")
        cost.set_ylabel("cost")
        cost.set_ylim(bottom=0)
        ax.tick_params(axis="x", labelrotation=45 if len(days) > 10 else 0)

    return _svg("llm", 2.6, draw)

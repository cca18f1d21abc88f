"""Rendering the HTML report: one Jinja2 Environment for HTML (autoescape on, StrictUndefined),
the charts inlined as SVG, the style inline: the file opens anywhere, with no network."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from mapekd.errors import MapekdError
from mapekd.report.fmt import fmt_rate, fmt_seconds, fmt_ts


class HtmlPages:
    """Built once per process that renders pages; templates are in mapekd/report/templates."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("mapekd.report", "templates"),
            autoescape=select_autoescape(("html", "html.j2")),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        self.env.filters["ts"] = fmt_ts
        self.env.filters["seconds"] = fmt_seconds
        self.env.filters["rate"] = fmt_rate

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)


def charts(data: dict[str, Any]) -> dict[str, Markup | None]:
    """Each chart as inline SVG (matplotlib's own output, ids prefixed), None when it has no data."""
    try:
        from mapekd.report import charts as draw
    except ImportError as exc:
        raise MapekdError(f"the report needs matplotlib: pip install 'mapekd[report]' ({exc})") from exc
    has_incidents = any(d["open"] + d["gave_up"] + d["resolved"] for d in data["incidents_per_day"])
    return {
        "incidents": _safe(draw.incidents_over_time(data["incidents_per_day"])) if has_incidents else None,
        "ttm": _safe(draw.time_to_mitigate(data["time_to_mitigate"])) if data["time_to_mitigate"] else None,
        "actions": _safe(draw.action_success(data["actions"])) if data["actions"] else None,
        "sources": _safe(draw.decision_sources(data["decision_sources"]))
        if data["decision_sources"]
        else None,
        "llm": _safe(draw.llm_per_day(data["llm_per_day"]))
        if any(d["calls"] for d in data["llm_per_day"])
        else None,
    }


def render_report(data: dict[str, Any], source: str) -> str:
    return HtmlPages().render("report.html.j2", data=data, charts=charts(data), source=source)


def _safe(svg: str) -> Markup:
    # matplotlib writes the SVG and escapes the labels it draws (they become paths and comments).
    return Markup(svg)  # noqa: S704

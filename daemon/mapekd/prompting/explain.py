"""`mapekd explain ID`: an incident and what was done, for a model (explain.j2) or as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mapekd.prompting.data import clip, present
from mapekd.prompting.env import Prompts
from mapekd.prompting.structured import Analysis
from mapekd.prompting.views import analysis_view, timeline_view, utc

DECISION_KEYS = (
    "id",
    "verdict",
    "action",
    "source",
    "risk",
    "confidence",
    "reason",
    "candidates",
    "model",
    "prompt_template",
    "prompt_version",
    "proposal",
    "override",
    "override_reason",
)
"""What an explanation shows of a decision row (the timeline already has its time and verdict)."""


def explain_context(
    incident: Mapping[str, Any],
    timeline: Sequence[Mapping[str, Any]],
    analysis: Analysis | Mapping[str, Any] | None,
    decisions: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """`incident` is a row of the incidents table, `timeline` the events of `Queries.timeline`,
    `decisions` the decision rows (with the LLM's proposal and any override, when recorded)."""
    opened = float(incident["opened_at"])
    ended = incident.get("resolved_at") or incident.get("gave_up_at")
    return {
        "incident": {
            "id": incident["id"],
            "signature": incident["signature"],
            "rule": incident["rule"],
            "target": incident["target"],
            "severity": incident["severity"],
            "status": incident["status"],
            "summary": clip(str(incident.get("summary") or ""), 300),
            "opened": utc(opened),
            "lasted_s": round(float(ended) - opened) if ended else None,
        },
        "timeline": timeline_view(timeline, opened),
        "analysis": analysis_view(analysis),
        "decisions": [present({k: d[k] for k in DECISION_KEYS if k in d}, 300) for d in decisions],
    }


def recorded_analysis(timeline: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The latest valid analysis of a timeline (`Queries.timeline`): its fields, whether it is
    grounded (absent for analyses recorded before grounding was checked) and what it reused."""
    event = next((e for e in reversed(timeline) if e["kind"] == "analysis" and e.get("parsed")), None)
    if event is None:
        return None
    extra = {k: event[k] for k in ("grounded", "reused_from") if event.get(k) is not None}
    if "grounded" in extra:
        extra["grounded"] = bool(extra["grounded"])
        extra["unsupported"] = list(event.get("unsupported") or [])
    return {**event["parsed"], **extra}


def explain_text(
    prompts: Prompts,
    incident: Mapping[str, Any],
    timeline: Sequence[Mapping[str, Any]],
    analysis: Analysis | Mapping[str, Any] | None,
    decisions: Sequence[Mapping[str, Any]],
) -> str:
    """The same account without a model: the explain context rendered as text."""
    return prompts.render_text("explain_text.j2", explain_context(incident, timeline, analysis, decisions))

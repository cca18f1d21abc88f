"""`mapekd explain ID`: an incident and what was done, for a model (explain.j2) or as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mapekd.prompting.data import clip, present
from mapekd.prompting.env import Prompts
from mapekd.prompting.output import Analysis
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
    analysis: Analysis | None,
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


def explain_text(
    prompts: Prompts,
    incident: Mapping[str, Any],
    timeline: Sequence[Mapping[str, Any]],
    analysis: Analysis | None,
    decisions: Sequence[Mapping[str, Any]],
) -> str:
    """The same account without a model: the explain context rendered as text."""
    return prompts.render_text("explain_text.j2", explain_context(incident, timeline, analysis, decisions))

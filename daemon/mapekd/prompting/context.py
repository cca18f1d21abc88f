"""The template contexts, built from plain inputs: the situation, the host, what knowledge recalls.

Everything observed is compacted and clipped here; the templates put it in data sections with
`tojson`. The candidate names come only from the caller's `CandidateView`s: nothing read from the
host or the knowledge base can add a choice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapekd.prompting.data import clip, compact, present
from mapekd.prompting.host import HostSnapshot
from mapekd.prompting.output import Analysis, plan_choices
from mapekd.prompting.views import analysis_view, past_incident, recent_action, sample_table, utc
from mapekd.situation import Situation

PLAN_SAMPLES = 3
"""The plan prompt shows only the latest samples: the analysis has read the history."""
RUNBOOK_CHARS = 900


@dataclass(frozen=True, slots=True)
class CandidateView:
    name: str
    kind: str
    description: str
    """What it does, one line, from the action's configuration."""
    target: str
    risk: str
    successes: int = 0
    tries: int = 0


def incident_view(s: Situation) -> dict[str, Any]:
    return {
        "id": s.incident_id,
        "signature": s.signature,
        "rule": s.rule,
        "check": s.check,
        "target": s.target,
        "severity": s.severity,
        "symptom": clip(s.symptom, 300),
        "fields": present(s.fields),
        "opened": utc(s.opened_at),
    }


def analyze_context(
    situation: Situation, host: HostSnapshot, similar: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "incident": incident_view(situation),
        "samples": sample_table(situation.samples, situation.opened_at),
        "trend": compact(situation.trend) if situation.trend else None,
        "host": host.to_context(),
        "similar": [past_incident(row, situation.opened_at) for row in similar],
    }


def plan_context(
    situation: Situation,
    analysis: Analysis | None,
    candidates: list[CandidateView],
    recent_actions: list[dict[str, Any]],
    runbooks: list[dict[str, Any]],
) -> dict[str, Any]:
    now = situation.samples[-1].ts if situation.samples else situation.opened_at
    return {
        "incident": incident_view(situation),
        "latest": sample_table(situation.samples[-PLAN_SAMPLES:], situation.opened_at),
        "analysis": analysis_view(analysis),
        "candidates": [_candidate_view(c) for c in candidates],
        "choices": plan_choices([c.name for c in candidates]),
        "recent_actions": [recent_action(row, now, situation.incident_id) for row in recent_actions],
        "runbooks": [
            {
                "title": clip(str(r.get("title") or r["name"]), 100),
                "body": clip(str(r["body"]), RUNBOOK_CHARS),
            }
            for r in runbooks
        ],
    }


def _candidate_view(c: CandidateView) -> dict[str, Any]:
    record = f"resolved {c.successes} of {c.tries} tries" if c.tries else "not tried yet"
    return {
        "name": c.name,
        "kind": c.kind,
        "does": clip(c.description, 160),
        "target": c.target,
        "risk": c.risk,
        "record": record,
    }

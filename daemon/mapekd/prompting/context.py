"""The template contexts, built from plain inputs: the situation, the host, what knowledge recalls.

Everything observed is compacted and clipped here; the templates put it in data sections with
`tojson`. The candidate names come only from the caller's `CandidateView`s: nothing read from the
host or the knowledge base can add a choice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mapekd.prompting.data import clip, compact, present
from mapekd.prompting.evidence import evidence_view
from mapekd.prompting.host import HostSnapshot
from mapekd.prompting.output import plan_choices
from mapekd.prompting.structured import CAUSES, Analysis, suggestions
from mapekd.prompting.views import (
    alike_view,
    analysis_view,
    past_incident,
    recent_action,
    sample_table,
    utc,
)
from mapekd.situation import Situation

AnalysisStyle = Literal["structured", "prose"]
AnswerAs = Literal["json", "name"]

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
    """Its record for this signature, whatever the cause."""
    cause_successes: int = 0
    cause_tries: int = 0
    """Its record for this signature and this incident's cause fingerprint."""
    fleet_successes: int = 0
    fleet_tries: int = 0
    fleet_hosts: int = 0
    """The fleet's record (knowledge.fleet): the other hosts' results, on how many hosts."""


def incident_view(s: Situation) -> dict[str, Any]:
    view = {
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
    if s.cause_class is not None:  # read from the evidence by the daemon's pattern table
        view["cause_class"] = s.cause_class
        view["cause_evidence"] = [f"e{i + 1}" for i in s.cause_cited]
    return view


def analyze_context(
    situation: Situation,
    host: HostSnapshot,
    similar: list[dict[str, Any]],
    *,
    style: AnalysisStyle = "prose",
    candidates: list[str] | None = None,
    alike: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`style`: structured asks for a cause class, cited evidence ids and a suggested candidate
    (of `candidates`); prose for a written analysis."""
    return {
        "incident": incident_view(situation),
        "evidence": evidence_view(situation.evidence, situation.opened_at),
        "samples": sample_table(situation.samples, situation.opened_at),
        "trend": compact(situation.trend) if situation.trend else None,
        "host": host.to_context(),
        "similar": [past_incident(row, situation.opened_at) for row in similar],
        "alike": [alike_view(row) for row in alike or []],
        "style": style,
        "causes": list(CAUSES),
        "suggestions": suggestions(candidates or []),
    }


def plan_context(
    situation: Situation,
    analysis: Analysis | None,
    candidates: list[CandidateView],
    recent_actions: list[dict[str, Any]],
    runbooks: list[dict[str, Any]],
    *,
    answer_as: AnswerAs = "json",
    alike: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`answer_as`: json asks for the JSON proposal; name for the chosen name alone (the plan
    ranks the names by the model's likelihood: it reads, it does not write)."""
    now = situation.samples[-1].ts if situation.samples else situation.opened_at
    known_cause = situation.fingerprint is not None
    return {
        "incident": incident_view(situation),
        "evidence": evidence_view(situation.evidence, situation.opened_at),
        "latest": sample_table(situation.samples[-PLAN_SAMPLES:], situation.opened_at),
        "analysis": analysis_view(analysis),
        "candidates": [_candidate_view(c, known_cause) for c in candidates],
        "choices": plan_choices([c.name for c in candidates]),
        "answer_as": answer_as,
        "recent_actions": [recent_action(row, now, situation.incident_id) for row in recent_actions],
        "alike": [alike_view(row) for row in alike or []],
        "runbooks": [
            {
                "title": clip(str(r.get("title") or r["name"]), 100),
                "body": clip(str(r["body"]), RUNBOOK_CHARS),
            }
            for r in runbooks
        ],
    }


def _candidate_view(c: CandidateView, known_cause: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": c.name,
        "kind": c.kind,
        "does": clip(c.description, 160),
        "target": c.target,
        "risk": c.risk,
        "record": _record(c.successes, c.tries),
    }
    if known_cause:  # without a fingerprint there is no cause to have a record for
        view["cause_record"] = _record(c.cause_successes, c.cause_tries)
    if c.fleet_tries:  # without a fleet, or never tried there, the prompt stays as it was
        view["fleet_record"] = _record(c.fleet_successes, c.fleet_tries)
        view["fleet_hosts"] = c.fleet_hosts
    return view


def _record(successes: int, tries: int) -> str:
    return f"resolved {successes} of {tries} tries" if tries else "not tried yet"

"""What one run decided and did, read from its knowledge base."""

from __future__ import annotations

import json
from typing import Any

from mapekd.evaluation.harness import Run
from mapekd.evaluation.scenarios import Scenario

COPIED = "copied the prompt's example"
GUARDS = (
    ("repeated the prompt's example", COPIED),
    ("is not a candidate", "not a candidate"),
    ("parameters", "parameters given"),
    ("below", "confidence below min_confidence"),
    ("invalid output", "invalid output after a repair"),
    ("deadline", "deadline passed"),
)


def llm_view(decision: dict[str, Any]) -> dict[str, Any] | None:
    """What the model answered for this decision and what became of it; None: not asked."""
    if decision["prompt_template"] is None:
        return None
    try:
        valid_json = isinstance(json.loads(decision["proposal_raw"] or ""), dict)
    except ValueError:
        valid_json = False
    parsed = json.loads(decision["proposal"]) if decision["proposal"] else None
    picked = parsed["action"] if parsed else None
    guard = next((name for key, name in GUARDS if key in decision["reason"]), None)
    return {
        "answered": bool(decision["proposal_raw"]),
        "valid_json": valid_json,
        "valid_answer": parsed is not None,
        "picked": picked,
        "picked_candidate": picked in json.loads(decision["candidates"]),
        "confidence": parsed.get("confidence") if parsed else None,
        "caught_by": "override" if decision["override_reason"] else guard,
        "final_from_llm": decision["source"] == "llm",
        "call_ms": decision["latency_ms"],
    }


def choice_of(decision: dict[str, Any] | None) -> str | None:
    if decision is None:
        return None
    if decision["verdict"] in ("execute", "would_execute"):
        return str(decision["action"])
    if decision["verdict"] == "gave_up":
        return "escalate"
    return "none" if decision["verdict"] == "no_action" else str(decision["verdict"])


def end_choice(run: Run, rule: str, first: str | None) -> str | None:
    """A scenario judged at its end: `escalate` when the rule's incidents were escalated and none
    of them counted as resolved (a resolution whose outcome relapsed did not hold); else what was
    chosen first."""
    rows = run.rows(
        "SELECT i.status, d.verdict, EXISTS (SELECT 1 FROM outcomes o WHERE o.incident_id = i.id "
        "AND o.result = 'relapsed') AS relapsed FROM incidents i "
        "LEFT JOIN decisions d ON d.incident_id = i.id WHERE i.rule = ? AND i.opened_at >= ?",
        (rule, run.injected_at),
    )
    escalated = any(r["verdict"] in ("escalate", "gave_up") for r in rows)
    resolved = any(r["status"] == "resolved" and not r["relapsed"] for r in rows)
    return "escalate" if escalated and not resolved else first


ANALYSES = (
    "SELECT c.id, c.ts, i.fingerprint FROM llm_calls c JOIN incidents i ON i.id = c.incident_id "
    "WHERE c.prompt_template LIKE 'analy%' AND c.cached = 0 AND i.fingerprint IS NOT NULL"
)
"""Analyses asked of a model, with the cause fingerprint of their incident."""


def repeated_analyses(run: Run) -> int:
    """Analyses asked of a model since the fault for a fingerprint that had been analysed before
    in this knowledge base (the earlier one should have been reused)."""
    rows = run.rows(
        f"WITH a AS ({ANALYSES}) SELECT COUNT(DISTINCT a.id) AS n FROM a WHERE a.ts >= ? AND EXISTS "  # noqa: S608
        "(SELECT 1 FROM a AS b WHERE b.fingerprint = a.fingerprint AND b.id < a.id)",
        (run.injected_at,),
    )
    return int(rows[0]["n"])


def evidence_kinds(run: Run, incident_id: int) -> dict[str, int]:
    """How many evidence items of each kind the incident kept."""
    rows = run.rows(
        "SELECT kind, COUNT(*) AS n FROM evidence WHERE incident_id = ? GROUP BY kind", (incident_id,)
    )
    return {str(r["kind"]): int(r["n"]) for r in rows}


def cause_templates(run: Run, incident_id: int) -> Any:
    """The templates the incident's fingerprint was made of, as the base keeps them."""
    rows = run.rows("SELECT cause_templates FROM incidents WHERE id = ?", (incident_id,))
    text = rows[0]["cause_templates"] if rows else None
    return json.loads(text) if text else None


def score(run: Run, scenario: Scenario, healthy: bool) -> dict[str, Any]:
    """What the run chose (and whether it is the expected answer), did, and how long it took."""
    t0 = run.injected_at
    decisions = run.rows(
        "SELECT d.*, i.rule, i.opened_at FROM decisions d JOIN incidents i ON i.id = d.incident_id "
        "WHERE i.opened_at >= ? ORDER BY d.id",
        (t0,),
    )
    actions = run.rows(
        "SELECT action, state FROM executions WHERE kind = 'remedy' AND started_at >= ? ORDER BY id", (t0,)
    )
    incidents = run.rows("SELECT status, resolved_at FROM incidents WHERE opened_at >= ?", (t0,))
    calls = run.rows(
        "SELECT prompt_template, COUNT(*) AS n FROM llm_calls WHERE ts >= ? GROUP BY prompt_template", (t0,)
    )
    scored = run.scored_decision(scenario.rule) if scenario.rule else None
    choice = choice_of(scored) if scenario.rule else ("none" if not actions else actions[0]["action"])
    if scenario.rule is not None and scenario.judge == "end":
        choice = end_choice(run, scenario.rule, choice)
    mitigated = (
        scenario.rule is not None
        and bool(incidents)
        and healthy
        and all(i["status"] == "resolved" for i in incidents)
    )
    return {
        "choice": choice,
        "correct": choice == scenario.expected,
        "scored_source": scored["source"] if scored else None,
        "actions": [f"{a['action']}:{a['state']}" for a in actions],
        "mitigated": mitigated,
        "ttm_s": round(max(i["resolved_at"] for i in incidents) - t0, 2) if mitigated else None,
        "healthy_at_end": healthy,
        "timed_out": run.timed_out,
        "llm_calls": {str(c["prompt_template"]): c["n"] for c in calls},
        "incidents": len(incidents),
        "fingerprint": scored["fingerprint"] if scored else None,
        "evidence": evidence_kinds(run, scored["incident_id"]) if scored else {},
        "cause_templates": cause_templates(run, scored["incident_id"]) if scored else None,
        "repeated_analyses": repeated_analyses(run),
        "decisions": [
            {
                "rule": d["rule"],
                "verdict": d["verdict"],
                "action": d["action"],
                "source": d["source"],
                "decided_after_ms": round((d["ts"] - d["opened_at"]) * 1000, 1),
                "override_reason": d["override_reason"],
                "reason": d["reason"][:300],
                "llm": llm_view(d),
            }
            for d in decisions
        ],
    }

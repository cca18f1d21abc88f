"""What one run decided and did, read from its knowledge base; and the figures per source."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from typing import Any

from eval.harness import Run
from eval.scenarios import Scenario

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


def score(run: Run, scenario: Scenario, healthy: bool) -> dict[str, Any]:
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


def share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one source over its runs."""
    faults = [r for r in runs if r["expected"] != "none"]
    controls = [r for r in runs if r["expected"] == "none"]
    decisions = [d for r in runs for d in r["decisions"]]
    asked = [d["llm"] for d in decisions if d["llm"] is not None]
    answers = [a for a in asked if a["answered"]]  # not: past the deadline, or a provider error
    own = [  # the model's own answer for the scored decision: valid and not the prompt's example
        (r, d["llm"])
        for r in faults
        for d in r["decisions"][:1]
        if d["llm"] is not None and d["llm"]["valid_answer"] and d["llm"]["caught_by"] != COPIED
    ]
    by_knowledge = [r for r in runs if r["scored_source"] == "knowledge"]
    return {
        "runs": len(runs),
        "correct_rate": share([r["correct"] for r in faults]),
        "correct_rate_with_controls": share([r["correct"] for r in runs]),
        "actions_on_no_fault_runs": sum(len(r["actions"]) for r in controls),
        "mitigated_rate": share([r["mitigated"] for r in faults]),
        "ttm_median_s": median([r["ttm_s"] for r in faults if r["ttm_s"] is not None]),
        "decision_sources": dict(Counter(d["source"] for d in decisions)),
        "llm_asked": len(asked),
        "llm_answered": len(answers),
        "llm_valid_json": share([a["valid_json"] for a in answers]),
        "llm_valid_answer": share([a["valid_answer"] for a in answers]),
        "llm_chose_candidate": share([a["picked_candidate"] for a in answers]),
        "llm_copied_example": share([a["caught_by"] == COPIED for a in answers]),
        "llm_overridden": share([a["caught_by"] == "override" for a in answers]),
        "llm_final": share([a["final_from_llm"] for a in answers]),
        "llm_own_answers_scored": len(own),
        "llm_own_picked_expected": share([a["picked"] == r["expected"] for r, a in own]),
        "llm_caught_by": dict(Counter(a["caught_by"] for a in asked if a["caught_by"])),
        "llm_picks": dict(Counter(str(a["picked"]) for a in asked)),
        "latency_knowledge_ms": median(
            [d["decided_after_ms"] for d in decisions if d["source"] == "knowledge" and d["llm"] is None]
        ),
        "latency_fast_rule_ms": median(
            [d["decided_after_ms"] for d in decisions if d["source"] == "rule" and d["llm"] is None]
        ),
        "latency_llm_path_ms": median([d["decided_after_ms"] for d in decisions if d["llm"] is not None]),
        "llm_plan_call_ms": median([a["call_ms"] for a in asked if a["call_ms"] is not None]),
        "plan_calls_when_knowledge_decided": sum(r["llm_calls"].get("plan.j2", 0) for r in by_knowledge),
    }

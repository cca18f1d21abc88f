"""The figures of one source over its runs, and of the alternating episodes."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from mapekd.evaluation.score import COPIED


def share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one source over its runs."""
    runs = [r for r in runs if not r.get("skipped")]
    # The held-out alternating episodes have their own figure (right from the second occurrence).
    faults = [r for r in runs if r["expected"] != "none" and r.get("occurrence") is None]
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
        "model_cpu_s_per_incident": per_incident([r.get("model_cpu_s") for r in runs], runs),
        "repeated_analyses": total([r.get("repeated_analyses") for r in runs]),
        "right_from_second_occurrence": from_second_occurrence(runs),
        "fingerprints": fingerprints(runs),
        "right_by_scenario": by_scenario(runs),
        "alternating_ttm_median_s": median(
            [r["ttm_s"] for r in runs if r.get("occurrence") is not None and r["ttm_s"] is not None]
        ),
    }


def per_incident(values: list[float | None], runs: list[dict[str, Any]]) -> float | None:
    known = [v for v in values if v is not None]
    incidents = sum(r["incidents"] for r in runs)
    return round(sum(known) / incidents, 3) if known and incidents else None


def total(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def from_second_occurrence(runs: list[dict[str, Any]]) -> dict[str, float | None] | None:
    """Alternating episodes: per cause, the share of its episodes from its second occurrence on
    whose first choice was right (None: no alternating episodes among `runs`)."""
    episodes = [r for r in runs if r.get("occurrence") is not None]
    if not episodes:
        return None
    causes = sorted({r["scenario"] for r in episodes})
    return {
        c: share([r["correct"] for r in episodes if r["scenario"] == c and r["occurrence"] >= 2])
        for c in causes
    }


def fingerprints(runs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The cause fingerprints of each scenario's scored incidents: causes that one rule cannot
    tell apart can be told apart by knowledge only if their fingerprints differ."""
    out: dict[str, set[str]] = {}
    for r in runs:
        if r.get("fingerprint"):
            out.setdefault(r["scenario"], set()).add(r["fingerprint"])
    return {name: sorted(found) for name, found in sorted(out.items())}


def by_scenario(runs: list[dict[str, Any]]) -> dict[str, str]:
    """Right first per scenario, as `right/runs` (the alternating episodes apart)."""
    out: dict[str, list[bool]] = {}
    for r in runs:
        if r.get("occurrence") is None:
            out.setdefault(r["scenario"], []).append(bool(r["correct"]))
    return {name: f"{sum(marks)}/{len(marks)}" for name, marks in out.items()}

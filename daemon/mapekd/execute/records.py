"""How decisions, executions and outcomes are written down: rows and log events."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mapekd.analyze.incidents import ActiveIncident
from mapekd.execute.base import ExecResult
from mapekd.plan.policy import Counter


def judge(result: ExecResult | None, holds: bool | None) -> tuple[str, str]:
    if result is not None and result.state != "succeeded":
        return "failed", result.error or result.state
    prefix = "dry run, nothing executed; " if result is None else ""
    if holds is False:
        return "resolved", prefix + "rule no longer holds"
    return "not_resolved", prefix + ("rule still holds" if holds else "target not observable")


def finished_row(result: ExecResult | None, scrub: Callable[[str], str] = str) -> dict[str, Any]:
    """How an execution ended, as stored; `scrub` masks secrets in what the action wrote (its
    output and error are shown to read-only API tokens, and copied wherever the base goes)."""
    if result is None:
        return {"finished_at": time.time(), "duration_ms": 0.0, "output_tail": "dry run"}
    return {
        "state": result.state,
        "finished_at": time.time(),
        "exit_code": result.exit_code,
        "output_tail": scrub(result.output_tail),
        "duration_ms": result.duration_ms,
        "error": None if result.error is None else scrub(result.error),
    }


def decision_event(
    decision: dict[str, Any], decision_id: int, incident: ActiveIncident, counter: Counter
) -> dict[str, Any]:
    return {
        "event": "decision",
        "decision": decision_id,
        "incident": incident.id,
        "signature": incident.symptom.signature,
        "symptom": incident.symptom.message,
        "candidates": decision.get("candidates"),
        "action": decision.get("action"),
        "params": decision.get("params", {}),
        "source": decision["source"],
        "verdict": decision["verdict"],
        "risk": decision.get("risk"),
        "confidence": decision.get("confidence"),
        "reason": decision.get("reason"),
        "dry_run": decision["dry_run"],
        "counter": counter.as_dict(),
        "outcome": None,
    }

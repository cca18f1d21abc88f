"""The figures of the HTML report, read once from the knowledge base (read-only)."""

from __future__ import annotations

import sqlite3
from typing import Any

from mapekd.knowledge.cause_reports import causes
from mapekd.knowledge.llm_reports import LLMReports
from mapekd.knowledge.reports import Reports
from mapekd.knowledge.series import Series

WORST = 10
CAUSES = 20


def gather(db: sqlite3.Connection, since: float, now: float) -> dict[str, Any]:
    reports, series, llm = Reports(db), Series(db), LLMReports(db)
    incidents = series.incidents_per_day(since, now)
    actions = reports.action_success(since)
    usage = llm.usage(since)
    verified = sum(r["verified"] for r in actions)
    resolved = sum(r["resolved"] for r in actions)
    return {
        "since": since,
        "generated_at": now,
        "incidents_per_day": incidents,
        "time_to_mitigate": reports.time_to_mitigate(since),
        "actions": actions,
        "decision_sources": _per_source(reports.decision_sources(since)),
        "llm_per_day": series.llm_per_day(since, now),
        "worst": reports.worst_signatures(since, WORST),
        "causes": causes(reports, since, CAUSES),
        "totals": {
            "incidents": sum(d["open"] + d["gave_up"] + d["resolved"] for d in incidents),
            "open": sum(d["open"] for d in incidents),
            "gave_up": sum(d["gave_up"] for d in incidents),
            "actions": sum(r["executions"] for r in actions),
            "success_rate": round(resolved / verified, 3) if verified else None,
            "llm_calls": sum(r["calls"] for r in usage),
            "llm_cost": round(sum(r["cost"] for r in usage), 6),
        },
    }


def _per_source(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decisions per source, with the verdicts each led to."""
    sources: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = sources.setdefault(row["source"], {"source": row["source"], "decisions": 0, "verdicts": {}})
        entry["decisions"] += row["decisions"]
        entry["verdicts"][row["verdict"]] = row["decisions"]
    order = {"knowledge": 0, "fleet": 1, "llm": 2, "rule": 3, "policy": 4}
    return sorted(sources.values(), key=lambda s: order.get(s["source"], 9))

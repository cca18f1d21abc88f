"""A small, known history written through the daemon's own store, for the kb, status and report
tests: every figure the tests assert follows from the list below.

    down@process:web        4 incidents over 3 days, each resolved by `restart` (real, succeeded,
                            outcome resolved) after 10, 20, 30 and 40 s; decided by knowledge x2, rule x2
    cpu_high@host:local     1 incident: the LLM chose `kill` at confidence 0.9, it did not resolve,
                            the incident gave up
    cpu_high@host:other     1 incident, the same, still open
    disk_full@host:/var     1 incident: the LLM proposed `wipe` (0.3), knowledge overrode it with
                            `cleanup`, which resolved it after 60 s
    mem_high@process:db     1 open incident waiting for the approval of a high-risk `reboot`
    llm_calls               6 calls over 3 days (2, 3 and 1), one a cache hit, costs 0.01 each
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapekd.knowledge.store import SqliteStore
from mapekd.llm.types import CallRecord, Usage
from mapekd.model import Symptom

DAY = 86400.0


@dataclass
class Incident:
    rule: str
    target: str
    opened: float
    action: str | None = None
    source: str = "rule"
    confidence: float | None = None
    result: str | None = None
    """Outcome of the real execution: resolved, not_resolved, failed (None: no execution)."""
    resolve_after: float | None = None
    gave_up: bool = False
    proposal: dict[str, Any] | None = None
    override_reason: str | None = None
    verdict: str = "execute"


def history(now: float) -> list[Incident]:
    day = [now - 2 * DAY + 600, now - DAY + 600, now - 600]
    web = [
        Incident("down", "process:web", t, "restart", src, result="resolved", resolve_after=ttm)
        for t, src, ttm in (
            (day[0], "rule", 10.0),
            (day[0] + 100, "rule", 20.0),
            (day[1], "knowledge", 30.0),
            (day[2], "knowledge", 40.0),
        )
    ]
    cpu = [
        Incident("cpu_high", "host:local", day[1] + 200, "kill", "llm", 0.9, "not_resolved", gave_up=True),
        Incident("cpu_high", "host:other", day[2] + 100, "kill", "llm", 0.9, "not_resolved"),
    ]
    disk = Incident(
        "disk_full",
        "host:/var",
        day[2] + 200,
        "cleanup",
        "knowledge",
        0.8,
        "resolved",
        resolve_after=60.0,
        proposal={
            "action": "wipe",
            "params": {},
            "risk": "high",
            "confidence": 0.3,
            "rationale": "free space",
        },
        override_reason="the LLM chose wipe, which resolved this signature 0/3 times (below 0.34)",
    )
    approval = Incident("mem_high", "process:db", day[2] + 300, "reboot", "rule", verdict="pending_approval")
    return [*web, *cpu, disk, approval]


def reference_now() -> float:
    """Noon UTC of today, or of yesterday before noon: the history's three days are then three
    distinct UTC days, none in the future."""
    real = time.time()
    noon = real - real % DAY + DAY / 2
    return noon if noon <= real else noon - DAY


def fill(path: Path, now: float | None = None) -> float:
    """Write the history into a new knowledge base at `path`; returns the `now` it is relative to."""
    now = reference_now() if now is None else now
    store = SqliteStore(path)
    try:
        for item in history(now):
            _write(store, item)
        for i, (offset, cached) in enumerate(
            [(2, False), (2, False), (1, False), (1, True), (1, False), (0, False)]
        ):
            record = CallRecord(
                "local",
                "smollm2",
                "chat",
                Usage(100, 20),
                0.01,
                0.2 + i / 10,
                cached=cached,
                ts=now - offset * DAY - 300,
            )
            store.record_llm_call(record, template="plan.j2", version="1")
    finally:
        store.close()
    return now


def _write(store: SqliteStore, item: Incident) -> None:
    symptom = Symptom(
        item.rule, item.target, "critical", f"{item.rule} on {item.target}", {"value": 1}, ts=item.opened
    )
    incident = store.open_incident(symptom)
    store.add_symptom(incident, symptom)
    decision = store.record_decision(
        {
            "incident_id": incident,
            "ts": item.opened + 1,
            "verdict": item.verdict,
            "action": item.action,
            "target": item.target,
            "candidates": [item.action],
            "source": item.source,
            "confidence": item.confidence,
            "risk": "high" if item.verdict == "pending_approval" else "low",
            "reason": "test history",
            "proposal": json.dumps(item.proposal) if item.proposal else None,
            "override_reason": item.override_reason,
        }
    )
    if item.verdict == "pending_approval":
        store.request_approval(decision, incident, item.action or "", item.target, ttl=3600)
        return
    if item.result is not None:
        execution = store.start_execution(
            {
                "decision_id": decision,
                "incident_id": incident,
                "action": item.action,
                "target": item.target,
                "started_at": item.opened + 2,
            }
        )
        store.finish_execution(
            execution,
            {"state": "succeeded", "exit_code": 0, "finished_at": item.opened + 3, "duration_ms": 50.0},
        )
        store.record_outcome(execution, incident, item.result, "test history")
    if item.gave_up:
        store.give_up(incident, item.opened + 5)
    if item.resolve_after is not None:
        store.resolve_incident(incident, item.opened + item.resolve_after)

"""A knowledge base with a history: closed incidents with their decisions, executions, outcomes.

web_down@process:web  9 days ago: restart_web resolved
                      4 days ago: kill_web not_resolved, then restart_web resolved
                      1 day ago:  restart_web failed (given up, fixed by hand)
web_down@process:api  2 days ago: restart_api resolved
root_filling@disk:/   3 days ago: clean_tmp resolved
"""

from __future__ import annotations

from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom

NOW = 1_760_000_000.0
DAY = 86400.0


def record_incident(
    store: SqliteStore,
    rule: str,
    target: str,
    opened: float,
    attempts: list[tuple[str, str, str]],
    *,
    message: str = "process web is not running",
) -> int:
    """A closed incident with one decision + execution + outcome per (action, state, result),
    given up first when the last result is not `resolved`."""
    symptom = Symptom(rule, target, "critical", message, {"alive": False}, ts=opened)
    incident = store.open_incident(symptom)
    store.add_symptom(incident, symptom)
    at = opened
    for action, state, result in attempts:
        at += 30
        decision = store.record_decision(
            {
                "incident_id": incident,
                "ts": at,
                "verdict": "execute",
                "action": action,
                "target": target,
                "candidates": [action],
                "source": "rule",
                "risk": "low",
                "reason": "first remedy of the rule",
            }
        )
        execution = store.start_execution(
            {
                "decision_id": decision,
                "incident_id": incident,
                "action": action,
                "target": target,
                "started_at": at,
            }
        )
        store.finish_execution(execution, {"state": state, "finished_at": at + 0.4, "duration_ms": 400.0})
        if result:
            outcome = store.record_outcome(
                execution, incident, result, "rule cleared" if result == "resolved" else ""
            )
            store.conn.execute("UPDATE outcomes SET ts = ? WHERE id = ?", (at + 5, outcome))
    if attempts and attempts[-1][2] != "resolved":
        store.give_up(incident, at + 5)
        at += 600  # an operator fixed it by hand; the rule cleared
    store.resolve_incident(incident, at + 5)
    return incident


def fill_history(store: SqliteStore) -> None:
    record_incident(
        store, "web_down", "process:web", NOW - 9 * DAY, [("restart_web", "succeeded", "resolved")]
    )
    record_incident(
        store,
        "web_down",
        "process:web",
        NOW - 4 * DAY,
        [("kill_web", "succeeded", "not_resolved"), ("restart_web", "succeeded", "resolved")],
    )
    record_incident(store, "web_down", "process:web", NOW - 1 * DAY, [("restart_web", "failed", "failed")])
    record_incident(
        store, "web_down", "process:api", NOW - 2 * DAY, [("restart_api", "succeeded", "resolved")]
    )
    record_incident(
        store,
        "root_filling",
        "disk:/",
        NOW - 3 * DAY,
        [("clean_tmp", "succeeded", "resolved")],
        message="disk / fills",
    )

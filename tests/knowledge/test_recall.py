"""What the knowledge base recalls for a prompt, from a real SQLite file with a history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.knowledge.recall import ACTIONS_PER_INCIDENT, matching_runbooks, recent_actions, similar_incidents
from mapekd.knowledge.runbooks import load_runbooks
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from tests.knowledge.history import DAY, NOW, fill_history, record_incident


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "kb.db")
    fill_history(store)
    yield store
    store.close()


def test_similar_incidents_same_signature_first_then_same_rule(store: SqliteStore) -> None:
    current = store.open_incident(Symptom("web_down", "process:web", "critical", "down", {}, ts=NOW))
    rows = similar_incidents(store, "web_down@process:web", "web_down", limit=4, exclude=current)
    assert [(r["id"], r["signature"]) for r in rows] == [
        (3, "web_down@process:web"),
        (2, "web_down@process:web"),
        (1, "web_down@process:web"),
        (4, "web_down@process:api"),
    ]
    assert [(a["action"], a["source"], a["state"], a["result"]) for a in rows[1]["actions"]] == [
        ("kill_web", "rule", "succeeded", "not_resolved"),
        ("restart_web", "rule", "succeeded", "resolved"),
    ]
    assert rows[0]["gave_up_at"] is not None and rows[0]["actions"][0]["result"] == "failed"
    assert [r["id"] for r in similar_incidents(store, "web_down@process:web", "web_down")] == [current, 3, 2]


def test_similar_incidents_of_an_unknown_problem_are_none(store: SqliteStore) -> None:
    assert similar_incidents(store, "cpu_hot@host", "cpu_hot") == []


def test_a_crash_loop_shows_only_its_latest_actions(store: SqliteStore) -> None:
    attempts = [("restart_db", "succeeded", "not_resolved")] * 6 + [("restart_db", "succeeded", "resolved")]
    loop = record_incident(store, "db_down", "process:db", NOW - DAY, attempts)
    (row,) = similar_incidents(store, "db_down@process:db", "db_down")
    assert row["id"] == loop and len(row["actions"]) == ACTIONS_PER_INCIDENT
    assert row["actions"][-1]["result"] == "resolved"


def test_recent_actions_are_remedies_on_the_target_newest_first(store: SqliteStore) -> None:
    incident = store.open_incident(Symptom("web_down", "process:web", "critical", "down", {}, ts=NOW))
    decision = store.record_decision(
        {
            "incident_id": incident,
            "ts": NOW,
            "verdict": "gave_up",
            "target": "process:web",
            "source": "policy",
        }
    )
    store.start_execution(
        {
            "decision_id": decision,
            "incident_id": incident,
            "action": "page",
            "target": "process:web",
            "started_at": NOW + 1,
            "kind": "notify",
            "state": "succeeded",
        }
    )
    rows = recent_actions(store, "process:web", limit=3)
    assert [(r["action"], r["incident_id"], r["result"]) for r in rows] == [
        ("restart_web", 3, "failed"),
        ("restart_web", 2, "resolved"),
        ("kill_web", 2, "not_resolved"),
    ]
    assert recent_actions(store, "process:nothing") == []


@pytest.mark.parametrize(
    ("rule", "check", "signature", "names"),
    [
        ("web_down", "web", "web_down@process:web", ["crashed-service"]),
        ("demo_down", "demo_process", "demo_down@process:demo_process", ["crashed-service"]),
        ("web_flapping", "web", "web_flapping@process:web", ["crashed-service"]),
        ("unit_failed", "units", "unit_failed@systemd:nginx.service", ["crashed-service"]),
        ("demo_unhealthy", "demo_http", "demo_unhealthy@http:demo_http", ["hung-http-service"]),
        ("root_filling", "host", "root_filling@disk:/", ["disk-filling"]),
        ("memory_pressure", "host", "memory_pressure@host", ["memory-pressure"]),
        ("cpu_hot", "host", "cpu_hot@host", []),
        ("web_cpu", "web", "web_cpu@process:web", []),
    ],
)
def test_shipped_runbooks_fit_their_incidents(
    store: SqliteStore, rule: str, check: str, signature: str, names: list[str]
) -> None:
    load_runbooks(store)
    found = matching_runbooks(store, rule, check, signature)
    assert [r["name"] for r in found] == names
    assert all(r["body"] and r["title"] and r["source"] == "seed" for r in found)


def test_an_operators_exact_runbook_comes_first(store: SqliteStore) -> None:
    load_runbooks(store)
    with store.conn:
        store.conn.execute(
            "INSERT INTO runbooks (name, signature, body, source, rules, checks, signatures) "
            "VALUES ('web-notes', 'web_down@process:web', 'Call Ana first.', 'user', '[]', '[]', '[]')"
        )
        store.conn.execute(
            "INSERT INTO runbooks (name, body, source, rules, checks, signatures) VALUES "
            "('web-checks', 'Check the pool.', 'user', ?, ?, '[]')",
            (json.dumps(["web_*"]), json.dumps(["web"])),
        )
    found = matching_runbooks(store, "web_down", "web", "web_down@process:web", limit=3)
    assert [r["name"] for r in found] == ["web-checks", "web-notes", "crashed-service"]
    assert found[1]["title"] == "web-notes"  # no title: the name stands in

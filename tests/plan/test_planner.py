"""Remedy choice: the rule's order without history, the best success rate with it."""

from __future__ import annotations

from pathlib import Path

from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.plan.planner import choose_remedy, success_score

SIG = "down@p:a"


def _history(store: SqliteStore, action: str, results: list[str], state: str = "succeeded") -> None:
    for i, result in enumerate(results):
        incident = store.open_incident(Symptom("down", "p:a", "critical", "m", {}, ts=float(i)))
        decision = store.record_decision(
            {
                "incident_id": incident,
                "ts": 1.0,
                "verdict": "execute",
                "action": action,
                "target": "p:a",
                "source": "rule",
            }
        )
        execution = store.start_execution(
            {
                "decision_id": decision,
                "incident_id": incident,
                "action": action,
                "target": "p:a",
                "started_at": 1.0,
                "state": state,
            }
        )
        store.record_outcome(execution, incident, result, "")
        store.resolve_incident(incident)


def test_rule_order_without_history(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    choice = choose_remedy(["restart", "kill"], SIG, store, prefer_knowledge=True)
    assert choice is not None and (choice.action, choice.source) == ("restart", "rule")
    assert choose_remedy([], SIG, store, prefer_knowledge=True) is None


def test_knowledge_prefers_the_remedy_that_worked(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    _history(store, "restart", ["not_resolved", "not_resolved", "resolved"])
    _history(store, "kill", ["resolved", "resolved"])
    choice = choose_remedy(["restart", "kill"], SIG, store, prefer_knowledge=True)
    assert choice is not None and choice.action == "kill" and choice.source == "knowledge"
    assert choice.confidence == round(success_score(2, 2), 3)
    assert store.success_rates(SIG) == {"restart": (1, 3), "kill": (2, 2)}
    off = choose_remedy(["restart", "kill"], SIG, store, prefer_knowledge=False)
    assert off is not None and off.action == "restart"


def test_dry_run_executions_do_not_count_as_evidence(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    _history(store, "kill", ["resolved"] * 3, state="would_execute")
    assert store.success_rates(SIG) == {}


def test_untried_remedy_beats_a_failing_one(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    _history(store, "restart", ["not_resolved"] * 3)
    choice = choose_remedy(["restart", "kill"], SIG, store, prefer_knowledge=True)
    assert choice is not None and choice.action == "kill"

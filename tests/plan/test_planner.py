"""The rule source over recorded history: the rule's order without history, the best
(Laplace-smoothed) success rate with it, read from a real SQLite knowledge base."""

from __future__ import annotations

from pathlib import Path

from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.plan.proposal import Candidate, Proposal
from mapekd.plan.sources import rule_remedy

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


def choose(store: SqliteStore, names: list[str], *, prefer_knowledge: bool = True) -> Proposal | None:
    rates = store.success_rates(SIG)
    candidates = [Candidate(n, "command", "", "low", True, *rates.get(n, (0, 0))) for n in names]
    return rule_remedy(candidates, prefer_knowledge=prefer_knowledge)


def test_rule_order_without_history(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    choice = choose(store, ["restart", "kill"])
    assert choice is not None and (choice.action, choice.source) == ("restart", "rule")
    assert choose(store, []) is None


def test_knowledge_prefers_the_remedy_that_worked(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    _history(store, "restart", ["not_resolved", "not_resolved", "resolved"])
    _history(store, "kill", ["resolved", "resolved"])
    choice = choose(store, ["restart", "kill"])
    assert choice is not None and choice.action == "kill" and "success 2/2" in choice.reason
    assert store.success_rates(SIG) == {"restart": (1, 3), "kill": (2, 2)}
    off = choose(store, ["restart", "kill"], prefer_knowledge=False)
    assert off is not None and off.action == "restart"


def test_dry_run_executions_do_not_count_as_evidence(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    _history(store, "kill", ["resolved"] * 3, state="would_execute")
    assert store.success_rates(SIG) == {}


def test_untried_remedy_beats_a_failing_one(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    _history(store, "restart", ["not_resolved"] * 3)
    choice = choose(store, ["restart", "kill"])
    assert choice is not None and choice.action == "kill"

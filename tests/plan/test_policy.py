"""Cooldown and the sliding-window action counter, over a real SQLite knowledge base."""

from __future__ import annotations

from pathlib import Path

from mapekd.config.settings import PolicyConfig
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.plan.policy import Policy


def _execution(store: SqliteStore, target: str, at: float) -> None:
    active = store.active_incident(f"r@{target}")
    incident = (
        store.open_incident(Symptom("r", target, "warning", "m", {}, ts=at))
        if active is None
        else active["id"]
    )
    decision = store.record_decision(
        {
            "incident_id": incident,
            "ts": at,
            "verdict": "execute",
            "action": "a",
            "target": target,
            "source": "rule",
        }
    )
    store.start_execution(
        {"decision_id": decision, "incident_id": incident, "action": "a", "target": target, "started_at": at}
    )


def test_verdicts_over_time(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    policy = Policy(PolicyConfig(cooldown=10, max_actions=2, window=100), store)
    assert policy.verdict("p:a", 1000)[0] == "act"
    _execution(store, "p:a", 1000)
    assert policy.verdict("p:a", 1005)[0] == "cooldown"
    assert policy.verdict("p:b", 1005)[0] == "act", "the counter is per target"
    assert policy.verdict("p:a", 1011)[0] == "act"
    _execution(store, "p:a", 1011)
    verdict, counter = policy.verdict("p:a", 1050)
    assert verdict == "give_up" and counter.used == 2 and counter.oldest_expires_at == 1100
    # The window slides: the first execution stops counting 100 s after it started.
    verdict, counter = policy.verdict("p:a", 1100.5)
    assert verdict == "act" and counter.used == 1
    store.close()

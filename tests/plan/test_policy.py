"""Cooldown and the sliding-window counter, on the target and on the effect, seeded from a real
SQLite knowledge base."""

from __future__ import annotations

from pathlib import Path

from mapekd.config.settings import PolicyConfig
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.plan.ledger import Ledger, Started
from mapekd.plan.policy import Policy, recorded_counter, seeded_ledger


def _execution(store: SqliteStore, target: str, at: float, effect: str | None = None) -> None:
    active = store.active_incident(f"r@{target}")
    incident = (
        store.open_incident(Symptom("r", target, "warning", "m", {}, ts=at))
        if active is None
        else active["id"]
    )
    decision = store.record_decision(
        {"incident_id": incident, "ts": at, "verdict": "execute", "action": "a", "target": target}
        | {"source": "rule"}
    )
    store.start_execution(
        {"decision_id": decision, "incident_id": incident, "action": "a", "target": target}
        | {"started_at": at, "effect": effect}
    )


def test_verdicts_over_time_on_a_target(tmp_path: Path) -> None:
    ledger = Ledger(100)
    policy = Policy(PolicyConfig(cooldown=10, max_actions=2, window=100), ledger)
    assert policy.verdict("p:a", 1000)[0] == "act"
    ledger.begin(Started(1000, "a", "a", "p:a")).release()
    assert policy.verdict("p:a", 1005)[0] == "cooldown"
    assert policy.verdict("p:b", 1005)[0] == "act", "the target counter is per target"
    assert policy.verdict("p:a", 1011)[0] == "act"
    ledger.begin(Started(1011, "a", "a", "p:a")).release()
    verdict, counter = policy.verdict("p:a", 1050)
    assert verdict == "give_up" and counter.used == 2 and counter.oldest_expires_at == 1100
    # The window slides: the first execution stops counting 100 s after it started.
    verdict, counter = policy.verdict("p:a", 1100.5)
    assert verdict == "act" and counter.used == 1


def test_distinct_targets_with_one_effect_are_counted_together() -> None:
    ledger = Ledger(100)
    policy = Policy(PolicyConfig(cooldown=10, max_actions=2, window=100), ledger)
    ledger.begin(Started(1000, "cleanup", "cleanup", "alert:Disk/1")).release()
    assert policy.verdict("alert:Disk/2", 1001)[0] == "act", "a new target has no count of its own"
    assert policy.verdict("alert:Disk/2", 1001, effect="cleanup")[0] == "cooldown"
    ledger.begin(Started(1020, "cleanup", "cleanup", "alert:Disk/2")).release()
    verdict, counter = policy.verdict("alert:Disk/3", 1040, effect="cleanup")
    assert verdict == "give_up" and counter.used == 2


def test_the_ledger_is_seeded_from_the_knowledge_base(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    _execution(store, "p:a", 1000, effect="a@unit.service")
    _execution(store, "p:b", 1010)  # recorded before effects were: its own target's effect
    _execution(store, "p:c", 800, effect="a@unit.service")  # outside the window
    ledger = seeded_ledger(store, 100, 1050)
    policy = Policy(PolicyConfig(cooldown=10, max_actions=5, window=100), ledger)
    assert policy.counter(1050, effect="a@unit.service").used == 1
    assert policy.counter(1050, effect="a@p:b").used == 1
    assert recorded_counter(PolicyConfig(window=100), store, "p:a", 1050).used == 1
    store.close()


def test_running_remedies_are_counted_until_released() -> None:
    ledger = Ledger(100)
    lease = ledger.begin(Started(1000, "a", "a@x", "t"))
    assert ledger.running["effect:a@x"] == 1 and ledger.running["all"] == 1
    lease.release()
    lease.release()  # idempotent
    assert ledger.running["all"] == 0 and not ledger.running["effect:a@x"]

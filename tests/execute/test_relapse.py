"""A resolution is recorded only after its rule's window: `relapsed` when the rule fired again for
the signature meanwhile (the new incident continues the old one), `resolved` otherwise; a watch
cut short by a shutdown records neither."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mapekd.analyze.incidents import ActiveIncident, IncidentTracker
from mapekd.analyze.rules.base import RuleResult
from mapekd.analyze.rules.threshold import ThresholdRule
from mapekd.config.rules import FlappingRuleConfig, ThresholdRuleConfig
from mapekd.execute.base import ExecResult
from mapekd.execute.relapse import RelapseWatch, rule_window
from mapekd.execute.verify import Pending, Verifier
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Sample, Symptom

RULE = ThresholdRule(ThresholdRuleConfig(name="down", check="svc", when="alive == false"))
DOWN = Symptom("down", "process:svc", "critical", "down", {"alive": False})


@dataclass
class Bench:
    store: SqliteStore
    tracker: IncidentTracker
    relapses: RelapseWatch
    verifier: Verifier
    outcomes: list[tuple[int, str, str]]

    def open(self) -> ActiveIncident:
        [incident] = self.tracker.update(RULE, RuleResult(firing=[DOWN]), time.time())
        return incident

    def act(self, incident: ActiveIncident) -> None:
        decision = self.store.record_decision(
            {"incident_id": incident.id, "ts": time.time(), "verdict": "execute", "action": "start",
             "target": "process:svc", "source": "rule"}
        )  # fmt: skip
        execution = self.store.start_execution(
            {"decision_id": decision, "incident_id": incident.id, "action": "start",
             "target": "process:svc", "started_at": time.time()}
        )  # fmt: skip
        pending = Pending(decision, execution, "svc", started=time.time())
        self.verifier.start(incident, RULE, pending, ExecResult("succeeded", 1.0), 0.0)

    async def outcome(self) -> tuple[int, str, str]:
        async with asyncio.timeout(10):
            while not self.outcomes:
                await asyncio.sleep(0.01)
        return self.outcomes[0]


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[Bench]:
    store = SqliteStore(tmp_path / "kb.db")
    tracker = IncidentTracker(store)
    relapses = RelapseWatch({"down": 0.0}, floor=0.5, ceiling=60.0)
    tracker.on_opened = relapses.opened
    outcomes: list[tuple[int, str, str]] = []

    async def up_again(check: str, target: str) -> Sample:
        return Sample(check, target, {"alive": True})

    def told(incident: ActiveIncident, _decision: int, outcome: str, detail: str) -> None:
        outcomes.append((incident.id, outcome, detail))

    verifier = Verifier(store, tracker, up_again, dry_run=False, on_outcome=told, relapses=relapses)
    yield Bench(store, tracker, relapses, verifier, outcomes)
    await verifier.drain(1.0)
    store.close()


def recorded(store: SqliteStore) -> list[str]:
    return [r["result"] for r in store._rows("SELECT result FROM outcomes ORDER BY id")]


async def test_the_rule_firing_again_within_the_window_makes_the_outcome_relapsed(bench: Bench) -> None:
    first = bench.open()
    bench.act(first)
    for _ in range(100):  # resolved at once (time to mitigate), recorded only after the watch
        if not bench.tracker.is_active(first.id):
            break
        await asyncio.sleep(0.01)
    assert not bench.tracker.is_active(first.id) and bench.outcomes == [] and recorded(bench.store) == []
    second = bench.open()  # the rule fires again: a new incident of the same signature
    incident, outcome, detail = await bench.outcome()
    assert (incident, outcome) == (first.id, "relapsed")
    assert f"(incident {second.id})" in detail
    assert recorded(bench.store) == ["relapsed"]


async def test_no_relapse_within_the_window_records_resolved(bench: Bench) -> None:
    first = bench.open()
    bench.act(first)
    assert (await bench.outcome())[:2] == (first.id, "resolved")
    assert recorded(bench.store) == ["resolved"]
    assert bench.relapses.opened(bench.open()) is None  # after the window: a new fault


async def test_a_watch_cut_short_by_shutdown_records_no_outcome(bench: Bench) -> None:
    bench.relapses.floor = 60.0
    bench.act(bench.open())
    await asyncio.sleep(0.2)
    assert bench.relapses.tasks and bench.outcomes == []
    await bench.verifier.drain(5.0)
    assert not bench.relapses.tasks  # ended at once, not after the 60 s window
    assert bench.outcomes == [] and recorded(bench.store) == []


def test_the_window_is_the_rules_own_between_the_floor_and_the_ceiling() -> None:
    flapping = FlappingRuleConfig(
        name="f", check="c", when="alive == false", type="flapping", times=3, within=30.0
    )
    debounced = ThresholdRuleConfig.model_validate({"name": "t", "check": "c", "when": "x > 1", "for": 3})
    assert rule_window(flapping) == 30.0 and rule_window(debounced) == 3.0
    watch = RelapseWatch({"f": 30.0, "t": 3.0, "z": 0.0}, floor=5.0, ceiling=20.0)
    assert (watch.window("f"), watch.window("t"), watch.window("z")) == (20.0, 5.0, 5.0)

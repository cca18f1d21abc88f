"""Verification's settle wait: it ends at once for a failed action and for a death of the instance
the action started, even one seen before the verification began; never for the death of an
instance older than the action (the one a restart stops)."""

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
from mapekd.config.rules import ThresholdRuleConfig
from mapekd.execute.base import ExecResult
from mapekd.execute.verify import Pending, Verifier
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Sample, Symptom

SETTLE = 30.0
"""Far longer than any test waits: an outcome within the test means the wait ended early."""
RULE = ThresholdRule(ThresholdRuleConfig(name="down", check="svc", when="alive == false"))


@dataclass
class Bench:
    store: SqliteStore
    verifier: Verifier
    incident: ActiveIncident
    outcomes: list[str]

    def pending(self, started: float) -> Pending:
        decision = self.store.record_decision(
            {"incident_id": self.incident.id, "ts": started, "verdict": "execute", "action": "start",
             "target": "process:svc", "source": "rule"}
        )  # fmt: skip
        execution = self.store.start_execution(
            {"decision_id": decision, "incident_id": self.incident.id, "action": "start",
             "target": "process:svc", "started_at": started}
        )  # fmt: skip
        return Pending(decision, execution, "svc", started=started)

    async def outcome(self) -> str:
        async with asyncio.timeout(5):
            while not self.outcomes:
                await asyncio.sleep(0.01)
        return self.outcomes[0]


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[Bench]:
    store = SqliteStore(tmp_path / "kb.db")
    tracker = IncidentTracker(store)
    symptom = Symptom("down", "process:svc", "critical", "down", {"alive": False})
    [incident] = tracker.update(RULE, RuleResult(firing=[symptom]), time.time())
    outcomes: list[str] = []

    async def still_down(check: str, target: str) -> Sample:
        return Sample(check, target, {"alive": False})

    def told(_incident: ActiveIncident, _decision: int, outcome: str, _detail: str) -> None:
        outcomes.append(outcome)

    verifier = Verifier(store, tracker, still_down, dry_run=False, on_outcome=told)
    yield Bench(store, verifier, incident, outcomes)
    await verifier.drain(1.0)
    store.close()


async def test_a_failed_action_is_judged_without_waiting(bench: Bench) -> None:
    failed = ExecResult("failed", 5.0, error="exited with code 1")
    bench.verifier.start(bench.incident, RULE, bench.pending(time.time()), failed, SETTLE)
    assert await bench.outcome() == "failed"


async def test_the_started_instance_dying_before_verification_begins_ends_the_wait(bench: Bench) -> None:
    started = time.time()
    # The action is still running when the instance it started (first watched after the action
    # began) dies: no verification exists yet.
    bench.verifier.settle_now("svc", started + 0.02)
    ok = ExecResult("succeeded", 300.0)
    bench.verifier.start(bench.incident, RULE, bench.pending(started), ok, SETTLE)
    assert await bench.outcome() == "not_resolved"


async def test_the_started_instance_dying_during_the_wait_ends_it(bench: Bench) -> None:
    started = time.time()
    bench.verifier.start(bench.incident, RULE, bench.pending(started), ExecResult("succeeded", 1.0), SETTLE)
    await asyncio.sleep(0.05)
    assert bench.outcomes == []
    bench.verifier.settle_now("svc", started + 0.01)
    assert await bench.outcome() == "not_resolved"


async def test_the_death_of_an_instance_older_than_the_action_ends_nothing(bench: Bench) -> None:
    started = time.time()
    bench.verifier.settle_now("svc", started - 60)  # the instance a restart stops, before...
    bench.verifier.start(bench.incident, RULE, bench.pending(started), ExecResult("succeeded", 1.0), SETTLE)
    bench.verifier.settle_now("svc", started - 60)  # ...or after the verification began
    bench.verifier.settle_now("other", started + 1)  # another check's process
    await asyncio.sleep(0.3)
    assert bench.outcomes == []

"""When a decision waits for the evidence: a rule's single low-risk remedy acts at once (crash
time to mitigate does not wait for any gatherer) and the evidence is stored after; a choice
among several remedies waits for it (at most `evidence.wait`) and is made for the cause;
`evidence.enabled: false` gathers nothing. A real engine, service and actions, as in loop.py."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.causes import Causes
from mapekd.knowledge.store import SqliteStore
from tests.plan.loop import Loop, base_config, running_loop


@dataclass
class Slow:
    """Answers after `delay` seconds, noting when it was asked and when it answered."""

    delay: float
    kind: EvidenceKind = "log"
    asked: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    requests: list[EvidenceRequest] = field(default_factory=list)

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        self.asked.append(time.time())
        self.requests.append(request)
        threading.Event().wait(self.delay)
        self.answered.append(time.time())
        return [EvidenceItem("log", "svc.log", "ERROR connection refused to 127.0.0.1:5432")]


def with_gatherer(loop: Loop, gatherer: Slow) -> None:
    healer = loop.engine.healer
    healer.causes = Causes(healer.settings, loop.store, {"svc": [gatherer]})


async def down(loop: Loop) -> None:
    loop.start_service()
    await loop.engine.cycle()
    await loop.kill_service()
    await loop.engine.cycle()


def config(tmp: Path, remedies: list[str], **evidence: Any) -> dict[str, Any]:
    cfg = base_config(tmp, None)
    cfg["rules"][0]["remedies"] = remedies
    cfg["evidence"] = {"deadline": "5s", **evidence}
    return cfg


async def test_a_single_low_risk_remedy_acts_without_waiting_and_evidence_follows(tmp_path: Path) -> None:
    gatherer = Slow(1.5)
    async with running_loop(tmp_path, config(tmp_path, ["restart_a"], wait="5s")) as loop:
        with_gatherer(loop, gatherer)
        await down(loop)
        decided = loop.rows("SELECT ts, action, fingerprint FROM decisions")
        assert loop.rows("SELECT id FROM evidence") == []  # still being gathered
        await loop.settle()
        for _ in range(500):
            if loop.rows("SELECT id FROM evidence"):
                break
            await asyncio.sleep(0.02)
        incident = loop.rows("SELECT fingerprint FROM incidents")[0]
        evidence = loop.rows("SELECT text FROM evidence")

    assert [(d["action"], d["fingerprint"]) for d in decided] == [("restart_a", None)]
    assert decided[0]["ts"] < gatherer.answered[0]
    assert evidence == [{"text": "ERROR connection refused to 127.0.0.1:5432"}]
    assert incident["fingerprint"] is not None


async def test_a_choice_among_remedies_waits_for_the_cause(tmp_path: Path) -> None:
    gatherer = Slow(0.5)
    async with running_loop(tmp_path, config(tmp_path, ["restart_a", "restart_b"], wait="5s")) as loop:
        with_gatherer(loop, gatherer)
        await down(loop)
        await loop.settle()
        decided = loop.rows(
            "SELECT d.ts, d.fingerprint, i.fingerprint AS cause FROM decisions d JOIN incidents i"
        )

    assert len(decided) == 1 and decided[0]["fingerprint"] is not None
    assert decided[0]["fingerprint"] == decided[0]["cause"]
    facts = gatherer.requests[0].facts  # the check's latest sample, not only the rule's fields
    assert facts["alive"] is False and facts["state"] == "dead"
    assert decided[0]["ts"] >= gatherer.answered[0]


async def test_the_wait_is_bounded(tmp_path: Path) -> None:
    gatherer = Slow(3.0)
    async with running_loop(tmp_path, config(tmp_path, ["restart_a", "restart_b"], wait="300ms")) as loop:
        with_gatherer(loop, gatherer)
        await down(loop)
        await loop.settle()
        decided = loop.rows("SELECT ts, fingerprint FROM decisions")

    assert len(decided) == 1 and decided[0]["fingerprint"] is None
    assert decided[0]["ts"] - gatherer.asked[0] < 2.5  # decided long before the gatherer answered


async def test_evidence_off_gathers_nothing_and_waits_for_nothing(tmp_path: Path) -> None:
    gatherer = Slow(3.0)
    async with running_loop(tmp_path, config(tmp_path, ["restart_a", "restart_b"], enabled=False)) as loop:
        with_gatherer(loop, gatherer)
        await down(loop)
        decided = loop.rows("SELECT action FROM decisions")
        await loop.settle()
        evidence = loop.rows("SELECT id FROM evidence")

    assert decided == [{"action": "restart_a"}] and evidence == [] and gatherer.asked == []


async def test_evidence_being_gathered_at_shutdown_is_still_stored(tmp_path: Path) -> None:
    gatherer = Slow(1.0)
    async with running_loop(tmp_path, config(tmp_path, ["restart_a"])) as loop:
        with_gatherer(loop, gatherer)
        await down(loop)
        assert loop.rows("SELECT id FROM evidence") == []
    # the loop drained on leaving: the gathering finished within its time and was stored
    store = SqliteStore(tmp_path / "kb.db")
    try:
        assert [r["text"] for r in store._rows("SELECT text FROM evidence")] == [
            "ERROR connection refused to 127.0.0.1:5432"
        ]
    finally:
        store.close()

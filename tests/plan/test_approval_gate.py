"""The approval gate holds: a high-risk decision waits; nothing runs without the approval, nothing
runs after expiry (and the expiry is recorded), a denial is final. Without any LLM."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from mapekd.errors import ApprovalError
from mapekd.plan import approval_gate
from tests.plan.loop import Loop, base_config, running_loop


def high_risk(tmp: Path, **plan: Any) -> dict[str, Any]:
    config = base_config(tmp, None, llm="never", **plan)
    config["rules"][0]["remedies"] = ["restart_a"]
    config["actions"][0]["risk"] = "high"
    return config


async def pending(loop: Loop) -> dict[str, Any]:
    await loop.incident_decided()
    [approval] = loop.store.pending_approvals()
    assert loop.ran() == set()
    [decision] = loop.rows("SELECT verdict, action FROM decisions")
    assert decision == {"verdict": "pending_approval", "action": "restart_a"}
    return approval


async def test_nothing_runs_until_approved_then_it_runs_once(tmp_path: Path) -> None:
    async with running_loop(tmp_path, high_risk(tmp_path)) as loop:
        approval = await pending(loop)
        for _ in range(3):  # cycles and polls while nobody has decided: nothing runs
            await loop.engine.cycle()
            await loop.engine.approvals.poll()
        assert loop.ran() == set()

        loop.store.decide_approval(approval["id"], True, "alice")
        await loop.engine.approvals.poll()
        await loop.settle()
        await loop.engine.approvals.poll()  # already executed: not again
        assert loop.ran() == {"restart_a"}
        verdicts = [r["verdict"] for r in loop.rows("SELECT verdict FROM decisions ORDER BY id")]
        assert verdicts == ["pending_approval", "execute"]
        assert loop.store.approval(approval["id"])["state"] == "executed"  # type: ignore[index]
        assert len(loop.rows("SELECT id FROM executions WHERE kind = 'remedy'")) == 1


async def test_a_denial_is_final(tmp_path: Path) -> None:
    async with running_loop(tmp_path, high_risk(tmp_path)) as loop:
        approval = await pending(loop)
        loop.store.decide_approval(approval["id"], False, "alice")
        try:
            loop.store.decide_approval(approval["id"], True, "mallory")
            raise AssertionError("a denied approval was approved")
        except ApprovalError:
            pass
        for _ in range(3):
            await loop.engine.cycle()
            await loop.engine.approvals.poll()
        assert loop.ran() == set()


async def test_nothing_runs_after_expiry_and_the_expiry_is_recorded(tmp_path: Path) -> None:
    async with running_loop(tmp_path, high_risk(tmp_path, approval_ttl="200ms")) as loop:
        approval = await pending(loop)
        await asyncio.sleep(0.3)
        await loop.engine.approvals.poll()
        try:
            loop.store.decide_approval(approval["id"], True, "late")
            raise AssertionError("an expired approval was approved")
        except ApprovalError:
            pass
        await loop.engine.approvals.poll()
        assert loop.ran() == set()
        assert loop.store.approval(approval["id"])["state"] == "expired"  # type: ignore[index]


async def test_the_gate_reads_nothing_while_no_approval_is_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approval_gate, "POLL_S", 0.01)
    async with running_loop(tmp_path, high_risk(tmp_path)) as loop:
        await asyncio.sleep(0.05)  # the first poll, at start, finds nothing open
        statements: list[str] = []
        loop.store.conn.set_trace_callback(statements.append)
        await asyncio.sleep(0.3)
        assert not [s for s in statements if "approvals" in s]

        approval = await pending(loop)  # requested by the daemon: the gate polls again
        loop.store.decide_approval(approval["id"], True, "alice")
        for _ in range(300):
            if loop.ran():
                break
            await asyncio.sleep(0.01)
        await loop.settle()
        assert loop.ran() == {"restart_a"}
        assert [s for s in statements if "state = 'approved'" in s]  # it polled the due ones


async def test_a_stop_during_an_approved_action_ends_the_gate_even_unrecorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approval_gate, "POLL_S", 0.01)
    config = high_risk(tmp_path)
    slow = f"open({str(tmp_path / 'ran-restart_a')!r}, 'a').write('x'); import time; time.sleep(30)"
    config["actions"][0]["argv"] = [sys.executable, "-c", slow]
    async with running_loop(tmp_path, config) as loop:
        approval = await pending(loop)
        loop.store.decide_approval(approval["id"], True, "alice")
        for _ in range(500):
            if loop.ran():
                break
            await asyncio.sleep(0.01)
        assert loop.ran() == {"restart_a"}

        loop.engine.stop_watching()  # the daemon stops while the approved action runs,
        loop.store.close()  # and its interruption cannot be recorded any more
        gate = loop.engine._gate
        for _ in range(100):
            if gate is not None and gate.done():
                break
            await asyncio.sleep(0.01)
        assert gate is not None and gate.cancelled()

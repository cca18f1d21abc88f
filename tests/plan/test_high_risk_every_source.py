"""A high-risk remedy never runs without an approval, whichever source chose it: the rule, the
LLM, knowledge (a remedy proven on this signature), or the guardrail's override of a poor LLM
choice by the best-known remedy. Real processes, a real SQLite file, an LLM on loopback."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from tests.llm.fakes.openai_api import FakeOpenAI
from tests.llm.fakes.server import FakeServer
from tests.plan.loop import Loop, base_config, running_loop

SIGNATURE = "svc_down@process:svc"


def record(store: SqliteStore, action: str, result: str, times: int) -> None:
    """`times` earlier incidents of this signature on which `action` ran with `result`."""
    for _ in range(times):
        now = time.time() - 7200  # outside the policy window: history, not the action counter
        incident = store.open_incident(Symptom("svc_down", "process:svc", "critical", "down", {}, ts=now))
        decision = store.record_decision(
            {
                "incident_id": incident,
                "ts": now,
                "verdict": "execute",
                "action": action,
                "target": "process:svc",
            }
            | {"source": "rule"}
        )
        execution = store.start_execution(
            {
                "decision_id": decision,
                "incident_id": incident,
                "action": action,
                "target": "process:svc",
                "started_at": now,
                "state": "succeeded",
            }
        )
        store.record_outcome(execution, incident, result, "")
        store.resolve_incident(incident, now + 1)


def config(tmp: Path, llm_section: dict[str, Any] | None, **plan: Any) -> dict[str, Any]:
    cfg = base_config(tmp, llm_section, **plan)
    cfg["actions"][0]["risk"] = "high"  # restart_a: high-risk, and the one with the good record
    return cfg


def seeded(tmp: Path) -> None:
    store = SqliteStore(tmp / "kb.db")
    record(store, "restart_a", "resolved", 3)
    record(store, "restart_b", "not_resolved", 3)
    store.close()


async def crash_decided(loop: Loop) -> dict[str, Any]:
    await loop.incident_decided()
    decisions = loop.rows("SELECT verdict, action, source FROM decisions WHERE ts > strftime('%s') - 600")
    assert loop.ran() == set(), f"ran without an approval: {decisions}"
    [approval] = loop.store.pending_approvals()
    assert approval["action"] == "restart_a"
    return decisions[-1]


def fake_llm(server: FakeServer) -> dict[str, Any]:
    return {
        "providers": [
            {"name": "model", "type": "openai_compat", "base_url": f"{server.url}/v1", "model": "gpt-4o-mini"}
        ],
        "cache": {"exact": {"enabled": False}},
    }


def answer(action: str) -> str:
    return json.dumps({"action": action, "params": {}, "risk": "low", "confidence": 0.9, "rationale": "x"})


async def test_rule_source(tmp_path: Path) -> None:
    async with running_loop(tmp_path, config(tmp_path, None, llm="never")) as loop:
        decision = await crash_decided(loop)
    assert decision == {"verdict": "pending_approval", "action": "restart_a", "source": "rule"}


async def test_knowledge_source(tmp_path: Path) -> None:
    seeded(tmp_path)
    async with running_loop(tmp_path, config(tmp_path, None, llm="never")) as loop:
        decision = await crash_decided(loop)
    assert decision == {"verdict": "pending_approval", "action": "restart_a", "source": "knowledge"}


async def test_llm_source(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.script.default = answer("restart_a")
    async with FakeServer(fake) as server:
        cfg = config(tmp_path, fake_llm(server), llm="always")
        async with running_loop(tmp_path, cfg) as loop:
            decision = await crash_decided(loop)
    assert decision == {"verdict": "pending_approval", "action": "restart_a", "source": "llm"}


async def test_guardrail_override(tmp_path: Path) -> None:
    seeded(tmp_path)
    fake = FakeOpenAI()
    fake.script.default = answer("restart_b")  # a poor record: overridden by restart_a
    async with FakeServer(fake) as server:
        cfg = config(tmp_path, fake_llm(server), llm="always", knowledge_min_successes=10)
        async with running_loop(tmp_path, cfg) as loop:
            decision = await crash_decided(loop)
            [row] = loop.rows("SELECT override_reason FROM decisions WHERE verdict = 'pending_approval'")
    assert decision == {"verdict": "pending_approval", "action": "restart_a", "source": "knowledge"}
    assert "restart_b" in row["override_reason"]

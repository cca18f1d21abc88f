"""Knowledge feeds back: once a remedy has resolved a signature K times (at rate P), the next
occurrence is decided from knowledge, with no LLM call at all."""

from __future__ import annotations

import json
from pathlib import Path

from tests.llm.fakes.openai_api import FakeOpenAI
from tests.llm.fakes.server import FakeServer
from tests.plan.loop import base_config, running_loop

ANSWER = json.dumps({"action": "restart_b", "params": {}, "risk": "low", "confidence": 0.8, "rationale": "b"})


async def test_after_k_successes_the_llm_is_not_asked(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.script.default = ANSWER
    async with FakeServer(fake) as server:
        llm = {
            "providers": [
                {
                    "name": "model",
                    "type": "openai_compat",
                    "base_url": f"{server.url}/v1",
                    "model": "gpt-4o-mini",
                }
            ],
            "cache": {"exact": {"enabled": False}},
        }
        config = base_config(tmp_path, llm, knowledge_min_successes=2, knowledge_min_rate=0.8)
        async with running_loop(tmp_path, config) as loop:
            for _ in range(2):
                await loop.incident_decided()
            asked = len(server.requests)
            await loop.incident_decided()

            sources = [r["source"] for r in loop.rows("SELECT source FROM decisions ORDER BY id")]
            outcomes = [r["result"] for r in loop.rows("SELECT result FROM outcomes ORDER BY id")]
            calls = loop.rows("SELECT incident_id, prompt_template, prompt_version FROM llm_calls")

    assert asked == 2 and len(server.requests) == asked  # the third incident asked nothing
    assert sources == ["llm", "llm", "knowledge"]
    assert outcomes == ["resolved", "resolved", "resolved"]
    assert [c["prompt_template"] for c in calls] == ["plan.j2", "plan.j2"]
    assert all(c["incident_id"] and c["prompt_version"] for c in calls)

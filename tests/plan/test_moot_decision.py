"""A decision that waited for the LLM does nothing when its incident healed in the meantime: the
action would restart a healthy service, and knowledge would credit it with the recovery."""

from __future__ import annotations

from pathlib import Path

from tests.llm.fakes.openai_api import FakeOpenAI
from tests.llm.fakes.script import Fault
from tests.llm.fakes.server import FakeServer
from tests.plan.loop import base_config, running_loop


async def test_an_incident_that_healed_while_the_model_thought_is_not_acted_on(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.script.fail(Fault("stall"))  # the model does not answer before the plan deadline
    async with FakeServer(fake) as server:
        llm = {
            "providers": [
                {
                    "name": "slow",
                    "type": "openai_compat",
                    "base_url": f"{server.url}/v1",
                    "model": "gpt-4o-mini",
                }
            ],
            "retries": {"max_attempts": 1},
            "plan_deadline": "2s",
        }
        async with running_loop(tmp_path, base_config(tmp_path, llm)) as loop:
            loop.start_service()
            await loop.engine.cycle()
            await loop.kill_service()
            await loop.engine.cycle()  # incident opened; two candidates: the LLM is asked
            assert loop.engine.healer.planning.tasks
            loop.start_service()  # it comes back by itself (a supervisor, a person)
            await loop.engine.cycle()  # the rule clears: the incident resolves
            await loop.settle()  # the deadline passes, the rule would decide...
            decisions = loop.rows("SELECT id FROM decisions")
            [incident] = loop.rows("SELECT status FROM incidents")

    assert incident["status"] == "resolved"
    assert loop.ran() == set() and decisions == []  # ... but nothing is done for a healed incident

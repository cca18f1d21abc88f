"""A remedy that did not resolve an incident is not chosen again for it while another candidate
remains, whichever source decides: knowledge that proved it on an earlier cause, or an LLM that
names it again (it is no longer among its choices: the answer is invalid and the rule decides)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.llm.fakes.openai_api import FakeOpenAI
from tests.llm.fakes.server import FakeServer
from tests.plan.loop import Loop, base_config, marker_action, running_loop, service_argv


def restart_if(tmp: Path, name: str, flag: Path) -> dict[str, Any]:
    """A restart that works only while `flag` exists (the cause it fixes)."""
    code = "\n".join(
        [
            "import os, subprocess",
            f"open({str(tmp / ('ran-' + name))!r}, 'a').write('x')",
            f"if os.path.exists({str(flag)!r}):",
            f"    p = subprocess.Popen({service_argv(tmp)!r}, start_new_session=True,"
            " stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)",
            f"    open({str(tmp / 'svc.pid')!r}, 'w').write(str(p.pid))",
        ]
    )
    return {"name": name, "type": "command", "argv": [sys.executable, "-c", code], "settle": "300ms"}


def config(tmp: Path, llm_section: dict[str, Any] | None, **plan: Any) -> dict[str, Any]:
    out = base_config(tmp, llm_section, **plan)
    out["actions"][0] = restart_if(tmp, "restart_a", tmp / "a-works")
    out["actions"][1] = marker_action(tmp, "restart_b", restarts=True)
    return out


async def decide_twice(loop: Loop) -> list[dict[str, Any]]:
    """Kill the service, let the first remedy fail and the next decision follow it."""
    await loop.kill_service()
    await loop.engine.cycle()
    await loop.settle()
    await loop.engine.cycle()
    await loop.settle()
    incident = loop.rows("SELECT MAX(id) AS id FROM incidents")[0]["id"]
    return loop.rows(
        f"SELECT action, source, reason FROM decisions WHERE incident_id = {incident} ORDER BY id"
    )


async def test_knowledge_does_not_choose_again_what_just_failed_on_this_incident(tmp_path: Path) -> None:
    (tmp_path / "a-works").touch()
    async with running_loop(tmp_path, config(tmp_path, None)) as loop:
        for _ in range(3):
            await loop.incident_decided()  # restart_a proves itself on the first cause
        (tmp_path / "a-works").unlink()  # another cause: restart_a no longer helps
        decisions = await decide_twice(loop)
        outcomes = [r["result"] for r in loop.rows("SELECT result FROM outcomes ORDER BY id")]

    assert [d["action"] for d in decisions] == ["restart_a", "restart_b"]
    assert decisions[0]["source"] == "knowledge"
    assert "skipped restart_a: tried 1x in this incident without resolving it" in decisions[1]["reason"]
    assert outcomes[-2:] == ["not_resolved", "resolved"]


async def test_an_llm_naming_the_failed_remedy_again_is_turned_down(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.script.default = json.dumps(
        {"action": "restart_a", "params": {}, "risk": "low", "confidence": 0.9, "rationale": "a"}
    )
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
        async with running_loop(tmp_path, config(tmp_path, llm, llm="always")) as loop:
            loop.start_service()
            await loop.engine.cycle()
            decisions = await decide_twice(loop)

    assert [d["action"] for d in decisions] == ["restart_a", "restart_b"]
    assert [d["source"] for d in decisions] == ["llm", "rule"]
    # The model was offered restart_b alone: its answer naming restart_a is invalid output.
    assert "action must be exactly one of: restart_b, none, escalate" in decisions[1]["reason"]
    assert "skipped restart_a" in decisions[1]["reason"]

"""A full cycle with the real in-process SmolLM2-135M-Instruct (the embedded default): a real
process dies, the model analyzes and plans through the prompts, the decision passes the
guardrails, the action runs and is verified. The model may be wrong with full confidence; what
must hold is valid JSON, a recorded proposal, and that only candidates ever run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.plan.loop import base_config, running_loop


async def test_a_fault_is_analyzed_planned_executed_and_verified_with_the_real_model(tmp_path: Path) -> None:
    config = base_config(tmp_path, {"plan_deadline": "120s", "analyze_deadline": "120s"}, analyze=True)
    for action in config["actions"]:
        # The model may rate its choice high-risk, which waits for a person (tests/plan covers
        # that gate): here the cycle is to run through to the verified outcome.
        action["max_risk"] = "high"
    async with running_loop(tmp_path, config) as loop:
        assert loop.reasoning.planner is not None  # the embedded model is installed by `make`
        await loop.incident_decided()
        [analysis] = loop.rows("SELECT state, parsed, raw, model, prompt_template FROM analyses")
        [decision] = loop.rows(
            "SELECT source, action, verdict, proposal_raw, proposal, model, prompt_template, "
            "reason FROM decisions"
        )
        outcomes = loop.rows("SELECT result FROM outcomes")
        calls = loop.rows("SELECT prompt_template, provider, error_class FROM llm_calls")
        ran = loop.ran()

    assert analysis["state"] == "ok", analysis["raw"]  # grammar-constrained: valid JSON of the schema
    parsed = json.loads(analysis["parsed"])  # written, or structured where the model can rank
    assert (parsed.get("summary") or parsed.get("cause")) and "SmolLM2" in analysis["model"]
    assert decision["prompt_template"] == "plan.j2" and "SmolLM2" in decision["model"]
    assert isinstance(json.loads(decision["proposal_raw"]), dict)  # its JSON answer, or its ranking
    assert decision["source"] in ("llm", "rule", "knowledge"), decision
    assert decision["verdict"] == "execute" and decision["action"] in ("restart_a", "restart_b")
    assert ran == {decision["action"]} and "wipe" not in ran  # only candidates ever run
    assert [o["result"] for o in outcomes] == ["resolved"]
    assert {c["prompt_template"] for c in calls} == {"analyze.j2", "plan.j2"}
    assert all(c["provider"] == "embedded" and c["error_class"] is None for c in calls)

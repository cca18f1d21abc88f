"""Choose, don't write: where the plan's model can rank, the plan is its likelihood of each
choice blended with the knowledge record (per cause first, then per signature); elsewhere the
model writes its JSON answer. Through the real planner, gateway and the offline provider's
deterministic rank(), on a real SQLite file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from mapekd.config.loader import load_settings
from mapekd.llm.gateway import build_gateway
from mapekd.plan.ranking import MODEL_TILT, choose
from tests.plan.llm_world import DB_DOWN, HANG, candidate, llm_world

OPTIONS = ["restart", "kill", "none", "escalate"]


def test_the_record_for_this_cause_outweighs_the_signatures_and_a_mild_model_preference() -> None:
    # restart fixed this signature 5 of 6 times (another cause); for this cause kill fixed it
    # twice and restart failed twice; the model leans a little towards restart
    candidates = [candidate("restart", (5, 6), (0, 2)), candidate("kill", (2, 4), (2, 2))]
    choice = choose(candidates, OPTIONS, {"restart": -1.0, "kill": -1.5, "none": -4.0, "escalate": -4.0})
    assert choice.option == "kill"
    assert choice.scores["kill"]["known"] == 0.75 and choice.scores["restart"]["known"] == 0.25
    model = 0.6065  # exp(-0.5): relative to the model's favourite remedy
    assert choice.score == pytest.approx(0.75 * (1 + MODEL_TILT * model), abs=1e-3)
    assert choice.scores["restart"]["score"] == 0.375  # the favourite that failed on this cause


def test_without_any_record_the_models_favourite_wins() -> None:
    candidates = [candidate("restart"), candidate("kill")]
    choice = choose(candidates, OPTIONS, {"restart": -3.0, "kill": -0.2, "none": -5.0, "escalate": -5.0})
    assert choice.option == "kill" and choice.score == 0.75  # above an action's min_confidence 0.5


def test_a_short_answer_the_model_likes_best_does_not_decide() -> None:
    """SmolLM2 gives "none" (two tokens) the highest likelihood whatever the evidence: the
    likelihoods of none and escalate are recorded, never counted."""
    candidates = [candidate("restart"), candidate("kill")]
    choice = choose(candidates, OPTIONS, {"restart": -11.1, "kill": -12.3, "none": -6.3, "escalate": -10.0})
    assert choice.option == "restart" and choice.scores["none"]["logprob"] == -6.3
    assert choice.scores["none"]["score"] == 0.2 and choice.scores["escalate"]["score"] == 0.4


def test_an_uninformative_model_leaves_the_rules_order_and_failing_remedies_escalate() -> None:
    alike = dict.fromkeys(OPTIONS, -2.0)
    assert choose([candidate("restart"), candidate("kill")], OPTIONS, alike).option == "restart"
    failing = [candidate("restart", (0, 5)), candidate("kill", (0, 5))]
    assert choose(failing, OPTIONS, alike).option == "escalate"


async def test_the_plan_ranks_with_the_local_model_and_records_each_options_score(tmp_path: Path) -> None:
    scores = {"restart": -0.3, "kill": -1.2, "none": -6.0, "escalate": -6.0}
    async with llm_world(tmp_path, [{"match": "## Choices", "scores": scores}]) as world:
        situation = world.open(HANG, "svc_down@process:svc|worker <num> stalled")
        candidates = [candidate("restart", (4, 5), (0, 2)), candidate("kill", (1, 3), (2, 2))]
        proposal, record = await world.planner.plan(situation, None, candidates)
        [call] = world.rows("SELECT kind, provider, prompt_template, prompt_version FROM llm_calls")

    assert proposal is not None and (proposal.source, proposal.action) == ("llm", "kill")
    assert record["mode"] == "rank" and record["parsed"]["mode"] == "rank"
    assert set(record["parsed"]["scores"]) == set(OPTIONS)
    assert record["parsed"]["scores"]["kill"]["logprob"] == -1.2
    assert json.loads(record["raw"]) == scores  # what the model said: its log-likelihoods
    assert proposal.confidence == min(record["parsed"]["scores"]["kill"]["score"], 1.0)
    assert call == {"kind": "rank", "provider": "local", "prompt_template": "plan.j2", "prompt_version": "4"}


async def test_with_ranking_off_the_model_writes_its_answer(tmp_path: Path) -> None:
    answer = {
        "action": "restart",
        "params": {},
        "risk": "low",
        "confidence": 0.9,
        "rationale": "it hung (e1)",
    }
    async with llm_world(tmp_path, [{"answer": json.dumps(answer)}], rank=False) as world:
        situation = world.open(DB_DOWN, None)
        proposal, record = await world.planner.plan(
            situation, None, [candidate("restart"), candidate("kill")]
        )
        [call] = world.rows("SELECT kind FROM llm_calls")
    assert proposal is not None and proposal.action == "restart" and proposal.reason == "it hung (e1)"
    assert record["mode"] == "write" and call["kind"] == "chat"


def test_ranking_is_asked_of_the_route_a_role_goes_to_first(tmp_path: Path) -> None:
    """A capability query on the route's provider, not on a name: a remote model first (which
    cannot rank) means the plan writes, even with a local model behind it as the fallback."""
    remote = {"name": "remote", "type": "openai_compat", "base_url": "http://127.0.0.1:9/v1", "model": "x"}
    local = {"name": "local", "type": "offline", "default_answer": "restart"}
    (tmp_path / "a.yaml").write_text(json.dumps({"llm": {"providers": [remote, local]}}))
    (tmp_path / "b.yaml").write_text(
        json.dumps({"llm": {"providers": [remote, local], "roles": {"plan": {"provider": "local"}}}})
    )
    remote_first = build_gateway(load_settings(tmp_path / "a.yaml", {}).llm)
    local_plan = build_gateway(load_settings(tmp_path / "b.yaml", {}).llm)
    assert not remote_first.can_rank("plan")
    assert local_plan.can_rank("plan") and not local_plan.can_rank("analyze")


def test_the_capability_query_does_not_move_a_rotation(tmp_path: Path) -> None:
    """Round robin over two remote models, a local one behind: asking whether the plan can rank
    (no: a remote model comes first) does not advance the rotation the calls take."""
    remote = {"type": "openai_compat", "base_url": "http://127.0.0.1:9/v1", "model": "x"}
    local = {"name": "local", "type": "offline", "default_answer": "restart"}
    providers = [{"name": "a", **remote}, {"name": "b", **remote}, local]
    (tmp_path / "c.yaml").write_text(
        json.dumps({"llm": {"providers": providers, "routing": {"strategy": "round_robin"}}})
    )
    gateway = build_gateway(load_settings(tmp_path / "c.yaml", {}).llm)

    def first() -> str:
        return gateway.route_order.steps(role="plan", model=None, pinned=None)[0].route.name

    before = first()
    assert not any([gateway.can_rank("plan"), gateway.can_rank("plan"), gateway.can_rank("plan")])
    assert (before, first(), first()) == ("a", "b", "a")  # one step per call, none per question


async def test_a_failed_ranking_gives_no_proposal_and_says_why(tmp_path: Path) -> None:
    async with llm_world(tmp_path, [{"match": "## Choices", "error": "overloaded"}]) as world:
        situation = world.open(HANG, None)
        proposal, record = await world.planner.plan(
            situation, None, [candidate("restart"), candidate("kill")]
        )
        calls = world.rows("SELECT kind, error_class FROM llm_calls")
    assert proposal is None and record["mode"] == "rank"  # the rule decides (Decider.slow)
    assert (
        "scripted overloaded" in str(record["error"])
        and calls
        and calls[0] == {"kind": "rank", "error_class": "Overloaded"}
    )


async def test_the_plan_prompt_carries_the_fleets_record_of_a_candidate(tmp_path: Path) -> None:
    def answer(action: str) -> str:
        written = {"action": action, "params": {}, "risk": "low", "confidence": 0.9, "rationale": "e1"}
        return json.dumps(written)

    # the model answers kill only where the prompt shows kill's record on the fleet
    shown = '"fleet_record":"resolved 6 of 7 tries","fleet_hosts":3'
    answers = [{"match": shown, "answer": answer("kill")}]
    async with llm_world(tmp_path, [*answers, {"answer": answer("restart")}], rank=False) as world:
        situation = world.open(DB_DOWN, None)
        kill = replace(candidate("kill"), fleet_successes=6, fleet_tries=7, fleet_hosts=3)
        proposal, _ = await world.planner.plan(situation, None, [candidate("restart"), kill])
    assert proposal is not None and proposal.action == "kill"

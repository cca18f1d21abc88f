"""The fleet's record in the plan prompt: a candidate tried on other hosts carries fleet_record and
fleet_hosts, and the candidates' header names them; without a fleet record the prompt is as it was."""

from __future__ import annotations

from dataclasses import replace

from mapekd.prompting import Prompts, plan_context
from tests.prompting.conftest import World, sections

HEADER = "## Candidate actions ("


def header(user: str) -> str:
    return next(line for line in user.splitlines() if line.startswith(HEADER))


def test_a_candidate_tried_on_the_fleet_shows_its_fleet_record(prompts: Prompts, world: World) -> None:
    restart, kill = world.candidates
    fleet = [replace(restart, fleet_successes=7, fleet_tries=9, fleet_hosts=4), kill]
    user = prompts.render("plan.j2", plan_context(world.situation, None, fleet, [], [])).messages[1].content
    shown = sections(user)["Candidate actions"]
    assert shown[0]["fleet_record"] == "resolved 7 of 9 tries" and shown[0]["fleet_hosts"] == 4
    assert "fleet_record" not in shown[1] and "fleet_hosts" not in shown[1], "never tried on the fleet"
    assert "fleet_record: its results on the other hosts of the fleet" in header(user)
    assert "fleet_hosts: on how many hosts" in header(user)


def test_without_a_fleet_record_the_prompt_names_none(prompts: Prompts, world: World) -> None:
    user = (
        prompts.render("plan.j2", plan_context(world.situation, None, world.candidates, [], []))
        .messages[1]
        .content
    )
    assert all("fleet_record" not in c for c in sections(user)["Candidate actions"])
    assert "fleet" not in header(user)

"""The scenarios as written: every expected answer is one the scenario's rule can give (or an
escalation), with its reason; every configuration is one the daemon accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapekd.config.settings import Settings
from mapekd.evaluation.scenarios import Scenario, scenarios
from mapekd.evaluation.world import World

ALL = scenarios()


def test_names_are_unique_and_every_cause_of_web_unhealthy_is_there() -> None:
    names = [s.name for s in ALL]
    assert len(names) == len(set(names))
    unhealthy = {s.name: s.expected for s in ALL if s.rule == "web_unhealthy"}
    assert unhealthy == {
        "hang": "kill_web",
        "dependency_down": "start_db",
        "io_stall": "escalate",
        "broken_config": "escalate",
        "flap_window": "escalate",
    }


@pytest.mark.parametrize("scenario", ALL, ids=lambda s: s.name)
def test_the_expected_answer_is_one_its_rule_can_give(scenario: Scenario, tmp_path: Path) -> None:
    world = World(tmp_path, "mapekd-eval-test")
    settings = Settings.model_validate(scenario.config(world))
    assert scenario.why.strip() and scenario.fault.strip()
    if scenario.rule is None:
        assert scenario.expected == "none"
        return
    rule = next(r for r in settings.rules if r.name == scenario.rule)
    assert scenario.expected == "escalate" or scenario.expected in rule.remedies


@pytest.mark.parametrize("scenario", [s for s in ALL if s.config.__name__ == "web"], ids=lambda s: s.name)
def test_the_web_checks_name_the_service_log(scenario: Scenario, tmp_path: Path) -> None:
    world = World(tmp_path, "mapekd-eval-test")
    settings = Settings.model_validate(scenario.config(world))
    web = [c for c in settings.checks if c.name.startswith("web")]
    assert web and all(c.logs == [world.log("web")] and c.service == "web" for c in web)

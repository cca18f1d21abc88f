"""The story of an incident: the remedy in hand (until its verification ends, or at once when none
started), what a relapse carries over from the incident it continues, and when relapses make a
signature flapping; incidents that waited for one are collected as soon as it is done."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.analyze.incidents import ActiveIncident, IncidentTracker
from mapekd.analyze.rules.base import RuleResult
from mapekd.analyze.rules.threshold import ThresholdRule
from mapekd.config.rules import ThresholdRuleConfig
from mapekd.config.settings import Settings
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.plan.story import Story

RULE = ThresholdRule(ThresholdRuleConfig(name="down", check="svc", when="alive == false"))
DOWN = Symptom("down", "process:svc", "critical", "down", {"alive": False})


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[IncidentTracker]:
    store = SqliteStore(tmp_path / "kb.db")
    yield IncidentTracker(store)
    store.close()


def story_of(tracker: IncidentTracker, **policy: object) -> Story:
    settings = Settings.model_validate({"policy": policy})
    story = Story(
        settings, tracker, deciding=lambda i: False, execution_of=lambda i: None, collect=lambda c: None
    )
    tracker.on_opened = story.opened
    return story


def open_one(tracker: IncidentTracker) -> ActiveIncident:
    [incident] = tracker.update(RULE, RuleResult(firing=[DOWN]), time.time())
    return incident


def test_the_remedy_is_in_hand_until_its_outcome_or_until_none_started(tracker: IncidentTracker) -> None:
    story = story_of(tracker)
    incident = open_one(tracker)
    story.acting(incident, "restart")
    assert story._in_hand(incident.id) == "restart"
    story.idle(incident)
    assert story._in_hand(incident.id) is None and story.tried.of(incident.id) == {}
    story.acting(incident, "restart")
    story.outcome(incident, "not_resolved")
    assert story._in_hand(incident.id) is None and story.tried.of(incident.id) == {"restart": 1}


async def test_relapses_carry_over_and_make_the_signature_flapping(tracker: IncidentTracker) -> None:
    story = story_of(tracker, max_relapses=2, relapse_watch="30s")
    relapses = story.relapses
    first = open_one(tracker)
    for n in (1, 2):
        story.acting(first, f"remedy{n}")
        tracker.resolve_incident(first.id, time.time(), reason="verified")
        assert relapses.watch(first, "rule no longer holds", lambda outcome, detail: None)
        later = open_one(tracker)  # the rule fires again while watched: a relapse
        assert story.relapse_of[later.id] == first.id
        assert story.tried.of(later.id) == {f"remedy{i}": 1 for i in range(1, n + 1)}
        flapping = story.flapping(later)
        assert (flapping is None) == (n == 1)  # one relapse is not flapping yet
        first = later
    assert flapping is not None and "relapsed 2 times" in flapping
    await asyncio.gather(*relapses.tasks)


def test_incidents_that_waited_are_collected_at_once_when_their_lead_is_done(
    tracker: IncidentTracker,
) -> None:
    collected: list[str] = []
    settings = Settings.model_validate(
        {
            "checks": [
                {"name": "svc", "type": "process", "match_name": "svc", "service": "web"},
                {"name": "http", "type": "http", "url": "http://127.0.0.1:1/", "service": "web"},
            ]
        }
    )
    story = Story(
        settings, tracker, deciding=lambda i: False, execution_of=lambda i: None, collect=collected.append
    )
    lead = open_one(tracker)
    http_rule = ThresholdRule(ThresholdRuleConfig(name="unhealthy", check="http", when="ok == false"))
    [waiting] = tracker.update(
        http_rule, RuleResult(firing=[Symptom("unhealthy", "http:http", "warning", "m", {})]), time.time()
    )
    assert story.attach(lead, RULE) is None
    story.acting(lead, "restart")
    attached = story.attach(waiting, http_rule)
    assert attached is not None and attached.lead == lead.id
    assert collected == []
    story.outcome(lead, "not_resolved")
    assert collected == ["http"]  # decided now, not at its check's next interval
    story.resolved(lead.id)
    assert collected == ["http"]  # told once

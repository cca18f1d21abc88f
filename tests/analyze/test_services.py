"""Incidents of one service are decided one at a time; an incident on a check the running remedy
acts on is expected (caused by it); once that remedy's verification ends, the expected incident
is decided first and the incident whose remedy caused it waits for it."""

from __future__ import annotations

from pathlib import Path

import yaml

from mapekd.analyze.incidents import ActiveIncident
from mapekd.analyze.services import ServiceGroups, groups_of, reaches_of
from mapekd.config.loader import load_settings
from mapekd.model import Symptom


def incident(incident_id: int) -> ActiveIncident:
    return ActiveIncident(incident_id, "open", Symptom("r", f"t{incident_id}", "warning", "m", {}), 0.0)


class World:
    def __init__(self) -> None:
        self.in_hand: dict[int, str] = {}
        self.active: set[int] = {1, 2, 3}
        groups = {
            "web_http": "service web",
            "web_proc": "service web",
            "db_proc": "service db",
            "solo": "check solo",
        }
        reaches = {"kill_web": frozenset({"web_proc"})}
        self.status: dict[int, str] = {}
        self.groups = ServiceGroups(
            groups, reaches, self.in_hand.get, self.active.__contains__, status=self.status.get
        )


def test_an_incident_of_a_service_in_hand_is_part_of_it_and_told_once() -> None:
    w = World()
    assert w.groups.claim(incident(1), "web_http") is None
    w.in_hand[1] = ""  # being decided
    part = w.groups.claim(incident(2), "web_proc")
    assert part is not None and part.lead == 1 and not part.expected and part.first
    assert part.reason == "part of incident 1 (service web), decided there"
    again = w.groups.claim(incident(2), "web_proc")
    assert again is not None and not again.first
    assert w.groups.claim(incident(3), "db_proc") is None  # another service decides on its own


def test_with_the_service_out_of_hand_the_next_incident_is_decided() -> None:
    w = World()
    assert w.groups.claim(incident(1), "web_http") is None
    assert w.groups.claim(incident(2), "web_proc") is None  # 1 is not being remedied


def test_a_resolved_lead_whose_plan_still_runs_claims_nothing() -> None:
    """Seen in the evaluation: a runaway job's incident resolved while the model still planned
    for it, and the job's next incidents were recorded as part of it, then never decided."""
    w = World()
    assert w.groups.claim(incident(1), "web_http") is None
    w.in_hand[1] = ""  # its plan still runs
    w.active.discard(1)  # but it resolved
    assert w.groups.claim(incident(2), "web_proc") is None


def test_when_an_incident_of_a_service_gave_up_its_other_incidents_escalate_with_it() -> None:
    """Seen in the evaluation: the process-down incident of a service killed by OOM after every
    start escalated as flapping, then its health check's incident restarted it on its own."""
    w = World()
    assert w.groups.claim(incident(1), "web_proc") is None
    w.status[1] = "gave_up"
    part = w.groups.claim(incident(2), "web_http")
    assert part is not None and part.lead == 1 and part.escalate
    assert part.reason == "part of incident 1 (service web), which gave up: escalated with it"
    assert w.groups.claim(incident(3), "db_proc") is None  # another service is not concerned


def test_the_incident_a_remedy_causes_is_expected_then_decided_first() -> None:
    w = World()
    groups = World().groups.groups | {"web_proc": "check web_proc"}  # no service names at all
    w.groups.groups = groups
    assert w.groups.claim(incident(1), "web_http") is None
    w.in_hand[1] = "kill_web"
    caused = w.groups.claim(incident(2), "web_proc")
    assert caused is not None and caused.expected and caused.lead == 1
    assert caused.reason.startswith("expected: caused by the remedy kill_web of incident 1")
    del w.in_hand[1]  # verified: not resolved, and the process is still down
    waits = w.groups.claim(incident(1), "web_http")
    assert waits is not None and waits.lead == 2 and not waits.expected
    assert w.groups.claim(incident(2), "web_proc") is None  # the real fault now: decided
    w.in_hand[2] = "start_web"
    assert w.groups.claim(incident(1), "web_http") is not None  # still waiting while 2 is remedied
    del w.in_hand[2]
    assert w.groups.claim(incident(1), "web_http") is None  # 2 decided and verified: 1 is free


def test_an_expected_incident_that_resolved_frees_the_one_that_waited() -> None:
    w = World()
    w.groups.claim(incident(1), "web_http")
    w.in_hand[1] = "kill_web"
    assert w.groups.claim(incident(2), "web_proc") is not None
    del w.in_hand[1]
    w.active.discard(2)  # the process came back by itself
    assert w.groups.claim(incident(1), "web_http") is None


def test_groups_and_reaches_come_from_the_configuration(tmp_path: Path) -> None:
    config = {
        "checks": [
            {"name": "web_proc", "type": "process", "unit": "web.service", "service": "web"},
            {"name": "web_http", "type": "http", "url": "http://127.0.0.1:1/", "service": "web"},
            {"name": "host", "type": "host"},
        ],
        "actions": [
            {"name": "kill_web", "type": "signal", "check": "web_proc", "signal": "SIGKILL"},
            {"name": "restart_web", "type": "systemd", "verb": "restart", "units": ["web.service"]},
            {"name": "noop", "type": "command", "argv": ["/bin/true"]},
        ],
        "knowledge": {"path": str(tmp_path / "kb.db")},
    }
    path = tmp_path / "mapekd.yaml"
    path.write_text(yaml.safe_dump(config))
    settings = load_settings(path, {})
    assert groups_of(settings) == {"web_proc": "service web", "web_http": "service web", "host": "check host"}
    reaches = reaches_of(settings)
    assert reaches == {"kill_web": frozenset({"web_proc"}), "restart_web": frozenset({"web_proc"})}

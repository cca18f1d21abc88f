"""Fleet leases against a real PostgreSQL, through the one enforcement point of three hosts: one
alert sent to three hosts is acted on by one; with `max_hosts`, at most that many act on one
remedy at once; a lease that cannot be had in time lets the host act under local policy alone; an
alert's lease leaves out the labels naming the host it came from (`host_labels`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.leases import alert_lease_target
from mapekd.fleet.service import Fleet
from mapekd.knowledge.store import SqliteStore
from mapekd.plan.enforcer import Admitted, Enforcer, Held
from mapekd.plan.proposal import Proposal
from tests.conftest import free_port, wait_for
from tests.fleet.pg import Postgres
from tests.plan.test_enforcer import enforcer, settings

ALERT = "alert:DiskFull/4f1c2a9e0b7d3c51"


@pytest.fixture
def fleets() -> Iterator[list[Fleet]]:
    started: list[Fleet] = []
    yield started
    for fleet in started:
        fleet.stop()


def host(url: str, name: str, tmp: Path, fleets: list[Fleet], **extra: Any) -> Enforcer:
    config = FleetConfig.model_validate({"url": url, "host_id": name, "push_interval": 0.2, **extra})
    fleet = Fleet.start(config, SqliteStore(tmp / f"{name}.db").path)
    fleets.append(fleet)
    wait_for(lambda: fleet.view.error is None, timeout=30, message=f"{name} connected")
    gate = enforcer(settings())
    gate.fleet = fleet.view
    return gate


def admit_until_answered(gate: Enforcer, target: str, timeout: float = 10.0) -> Any:
    """Admit as the loop does, once a cycle, until the lease is answered."""
    deadline = time.monotonic() + timeout
    while True:
        got = gate.admit(
            Proposal("act", "cleanup", "rule", "why"), target, gate.configs["cleanup"], time.time()
        )
        if not (isinstance(got, Held) and got.reason.startswith("waiting for the fleet's lease")):
            return got
        assert time.monotonic() < deadline, "no lease answer"
        time.sleep(0.05)


def test_one_alert_sent_to_three_hosts_is_acted_on_by_one(
    pg_url: str, tmp_path: Path, fleets: list[Fleet]
) -> None:
    gates = [host(pg_url, name, tmp_path, fleets) for name in ("a", "b", "c")]
    answers = [admit_until_answered(g, ALERT) for g in gates]
    assert [type(a) for a in answers].count(Admitted) == 1
    held = [a for a in answers if isinstance(a, Held)]
    assert len(held) == 2 and all("another host is acting on cleanup@" + ALERT in h.reason for h in held)


def test_max_hosts_lets_that_many_act_on_one_remedy_at_once(
    pg_url: str, tmp_path: Path, fleets: list[Fleet]
) -> None:
    gates = [host(pg_url, name, tmp_path, fleets, max_hosts=2) for name in ("a", "b", "c")]
    answers = [admit_until_answered(g, "process:web") for g in gates]
    assert [type(a) for a in answers] == [Admitted, Admitted, Held]


def test_no_process_target_takes_a_lease_without_max_hosts(
    pg_url: str, tmp_path: Path, fleets: list[Fleet]
) -> None:
    gate = host(pg_url, "a", tmp_path, fleets)
    got = gate.admit(
        Proposal("act", "cleanup", "rule", "why"), "process:web", gate.configs["cleanup"], time.time()
    )
    assert isinstance(got, Admitted)


def test_without_an_answer_in_time_the_host_acts_alone(tmp_path: Path, fleets: list[Fleet]) -> None:
    server = Postgres().init().start()
    try:
        gate = host(server.url(server.create_database()), "a", tmp_path, fleets, lease_deadline="300ms")
        server.freeze()
        first = gate.admit(
            Proposal("act", "cleanup", "rule", "why"), ALERT, gate.configs["cleanup"], time.time()
        )
        assert isinstance(first, Held), "asked, not answered yet"
        time.sleep(0.5)
        later = gate.admit(
            Proposal("act", "cleanup", "rule", "why"), ALERT, gate.configs["cleanup"], time.time()
        )
        assert isinstance(later, Admitted), "past the deadline: local policy alone"
        assert fleets[0].view.status()["leases_skipped"] == 1
    finally:
        server.thaw()
        server.remove()


def test_postgres_known_down_acts_alone_at_once(tmp_path: Path, fleets: list[Fleet]) -> None:
    url = f"postgresql://a@127.0.0.1:{free_port()}/fleet"
    config = FleetConfig.model_validate({"url": url, "host_id": "a", "connect_timeout": 1})
    fleet = Fleet.start(config, SqliteStore(tmp_path / "a.db").path)
    fleets.append(fleet)
    wait_for(
        lambda: fleet.view.status()["error"] != "not connected yet", timeout=30, message="a failed connection"
    )
    gate = enforcer(settings())
    gate.fleet = fleet.view
    got = gate.admit(Proposal("act", "cleanup", "rule", "why"), ALERT, gate.configs["cleanup"], time.time())
    assert isinstance(got, Admitted) and fleet.view.status()["leases_skipped"] == 1


def alert_fields(**labels: str) -> dict[str, Any]:
    """What the alertmanager check reports of an alert: its labels as `label_<name>` fields."""
    return {"firing": True, **{f"label_{k}": v for k, v in labels.items()}}


def test_alerts_differing_only_in_a_host_label_share_one_lease(
    pg_url: str, tmp_path: Path, fleets: list[Fleet]
) -> None:
    """Each host got a different alert (its own exporter's `instance`): one acts, for all."""
    gates = [host(pg_url, name, tmp_path, fleets) for name in ("a", "b", "c")]
    for n, fleet in enumerate(fleets):
        fields = alert_fields(alertname="DiskFull", mount="/srv", instance=f"web{n}:9100")
        fleet.leases.fields_of = lambda target, fields=fields: fields
    answers = [admit_until_answered(g, f"alert:DiskFull/000{n}") for n, g in enumerate(gates)]
    assert [type(a) for a in answers].count(Admitted) == 1
    held = [a for a in answers if isinstance(a, Held)]
    assert len(held) == 2 and all(h.reason.startswith("another host is acting on") for h in held)


def test_alerts_differing_in_another_label_take_leases_of_their_own(
    pg_url: str, tmp_path: Path, fleets: list[Fleet]
) -> None:
    gates = [host(pg_url, name, tmp_path, fleets) for name in ("a", "b")]
    for n, fleet in enumerate(fleets):
        fields = alert_fields(alertname="DiskFull", mount=f"/srv{n}", instance="web:9100")
        fleet.leases.fields_of = lambda target, fields=fields: fields
    answers = [admit_until_answered(g, f"alert:DiskFull/000{n}") for n, g in enumerate(gates)]
    assert [type(a) for a in answers] == [Admitted, Admitted]


def test_host_labels_are_configurable(pg_url: str, tmp_path: Path, fleets: list[Fleet]) -> None:
    """With `host_labels: []` the instance counts: two instances, two leases."""
    gates = [host(pg_url, name, tmp_path, fleets, host_labels=[]) for name in ("a", "b")]
    for n, fleet in enumerate(fleets):
        fields = alert_fields(alertname="DiskFull", mount="/srv", instance=f"web{n}:9100")
        fleet.leases.fields_of = lambda target, fields=fields: fields
    answers = [admit_until_answered(g, f"alert:DiskFull/000{n}") for n, g in enumerate(gates)]
    assert [type(a) for a in answers] == [Admitted, Admitted]


def test_an_alert_lease_target_leaves_out_the_host_labels() -> None:
    host_labels = ["instance", "pod"]
    web1 = alert_lease_target("alert:DiskFull/01", alert_fields(mount="/srv", instance="web1"), host_labels)
    web2 = alert_lease_target("alert:DiskFull/02", alert_fields(mount="/srv", pod="p-2"), host_labels)
    other = alert_lease_target("alert:DiskFull/03", alert_fields(mount="/var", instance="web1"), host_labels)
    assert web1 == web2 != other and web1.startswith("alert:DiskFull/")
    assert alert_lease_target("alert:DiskFull/01", {"firing": True}, host_labels) == "alert:DiskFull/01"


def test_alertname_cannot_be_a_host_label() -> None:
    with pytest.raises(ValidationError, match="alertname names the alert"):
        FleetConfig.model_validate(
            {"url": "postgresql://a@127.0.0.1/fleet", "host_id": "a", "host_labels": ["alertname"]}
        )
    default = FleetConfig.model_validate({"url": "postgresql://a@127.0.0.1/fleet", "host_id": "a"})
    assert default.host_labels == ["instance", "host", "hostname", "node", "pod"]

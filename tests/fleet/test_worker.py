"""The fleet's thread against a real PostgreSQL: it replicates, pulls the record, hears of a
quarantine at once (LISTEN/NOTIFY), and rides out a PostgreSQL killed or frozen (SIGSTOP) with
nothing lost, while what the loop asks of it is answered from memory at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.service import Fleet
from mapekd.knowledge.store import SqliteStore
from mapekd.plan.proposal import Candidate
from tests.conftest import wait_for
from tests.fleet.pg import Postgres
from tests.knowledge.history import record_incident

SIG = "web_down@process:web"


def start(url: str, host: str, base: Path, **extra: object) -> Fleet:
    settings = {"url": url, "host_id": host, "push_interval": 0.2, "max_backoff": 1, **extra}
    return Fleet.start(FleetConfig.model_validate(settings), base)


@pytest.fixture
def fleets() -> Iterator[list[Fleet]]:
    started: list[Fleet] = []
    yield started
    for fleet in started:
        fleet.stop()


def outcomes(url: str) -> int:
    """Outcomes replicated so far (0 before the first host created the schema)."""
    with psycopg.connect(url, connect_timeout=2) as conn:
        if conn.execute("SELECT to_regclass('outcomes')").fetchone() == (None,):
            return 0
        row = conn.execute("SELECT COUNT(*) FROM outcomes").fetchone()
    return int(row[0]) if row else 0


def heal(store: SqliteStore, result: str = "resolved", n: int = 1) -> None:
    state = "succeeded" if result == "resolved" else "failed"
    for _ in range(n):
        record_incident(store, "web_down", "process:web", time.time(), [("restart_web", state, result)])


def test_learned_on_two_hosts_proven_on_a_third(pg_url: str, tmp_path: Path, fleets: list[Fleet]) -> None:
    for host in ("a", "b", "c"):
        store = SqliteStore(tmp_path / f"{host}.db")
        heal(store, n=2)
        fleets.append(start(pg_url, host, store.path, pull_interval=0.5))
    wait_for(lambda: outcomes(pg_url) == 6, timeout=30, message="every host's outcomes replicated")
    d = start(pg_url, "d", SqliteStore(tmp_path / "d.db").path, pull_interval=0.5)
    fleets.append(d)
    candidate = [Candidate("restart_web", "systemd", "", "low", True)]

    def proven() -> bool:
        return d.view.annotate(SIG, "process:web", None, candidate)[0].fleet_proven

    wait_for(proven, timeout=30, message="the fleet's record read by host d")
    assert d.view.status()["connected"] is True


def test_a_failure_on_a_second_host_quarantines_at_once(
    pg_url: str, tmp_path: Path, fleets: list[Fleet]
) -> None:
    c = start(pg_url, "c", SqliteStore(tmp_path / "c.db").path, pull_interval=3600)
    fleets.append(c)
    wait_for(lambda: c.view.snapshot.pulled_at, timeout=30, message="host c's first pull")
    stores = {h: SqliteStore(tmp_path / f"{h}.db") for h in ("a", "b")}
    fleets.extend(start(pg_url, h, s.path) for h, s in stores.items())
    heal(stores["a"], "failed")
    heal(stores["a"], "failed")
    wait_for(lambda: outcomes(pg_url) == 2, timeout=30, message="host a's failures replicated")
    assert c.view.quarantined("restart_web", "process:web") is None, "one host cannot quarantine alone"
    heal(stores["b"], "not_resolved")
    # Host c pulls only hourly: the quarantine reaches it by notification.
    why = wait_for(lambda: c.view.quarantined("restart_web", "process:web"), timeout=15, message="quarantine")
    assert "failed on 2 hosts" in why


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    server = Postgres().init().start()
    try:
        yield server
    finally:
        server.remove()


def test_postgres_killed_then_frozen_loses_nothing(
    own_postgres: Postgres, tmp_path: Path, fleets: list[Fleet]
) -> None:
    url = own_postgres.url(own_postgres.create_database())
    store = SqliteStore(tmp_path / "a.db")
    fleet = start(url, "a", store.path, statement_timeout=1, connect_timeout=1)
    fleets.append(fleet)
    heal(store, n=3)
    wait_for(lambda: outcomes(url) == 3, timeout=30, message="first outcomes replicated")

    own_postgres.kill()
    heal(store, n=4)
    wait_for(lambda: fleet.view.status()["connected"] is False, timeout=30, message="the outage seen")
    began = time.monotonic()
    fleet.view.annotate(SIG, "process:web", None, [Candidate("restart_web", "systemd", "", "low", True)])
    fleet.view.quarantined("restart_web", "process:web")
    assert time.monotonic() - began < 0.5, "the loop's questions never wait for PostgreSQL"
    own_postgres.start()
    wait_for(lambda: outcomes(url) == 7, timeout=60, message="the outbox caught up after the restart")

    own_postgres.freeze()
    try:
        heal(store, n=2)
        wait_for(lambda: (fleet.view.status()["waiting_s"] or 0) > 2, timeout=30, message="the freeze seen")
    finally:
        own_postgres.thaw()
    wait_for(lambda: outcomes(url) == 9, timeout=60, message="the outbox caught up after the freeze")
    wait_for(lambda: fleet.view.status()["pending"] == 0, timeout=30, message="nothing pending")
    assert fleet.view.status()["dropped"] == 0

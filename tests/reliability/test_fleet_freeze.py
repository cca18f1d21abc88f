"""The fleet's PostgreSQL frozen (SIGSTOP: connections open, nothing answers) for a minute
(`RELIABILITY_SIZE=full`; a few seconds in `make test`) while a real daemon of the fleet heals
the crashes this test gives its service: every crash is healed as fast as with PostgreSQL up
(no cycle waits for it), and once thawed the outbox catches up until PostgreSQL holds every
incident, decision, execution and outcome of the host's SQLite, by id."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import wait_for
from tests.e2e.harness import Daemon
from tests.fleet.pg import Postgres
from tests.fleet.test_three_hosts import Host, resolved
from tests.reliability.sizes import sized, sizes

pytestmark = pytest.mark.slow
TABLES = ("incidents", "decisions", "executions", "outcomes")
HEAL_BOUND_S = 6.5
"""A crash healed past this was waiting for something: healing takes about 2 s (a 1 s cycle, the
restart, 1.5 s of settle), PostgreSQL up or frozen; a heal that waited for the thaw would take
longer than the shortest freeze (8 s)."""


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    server = Postgres().init().start()
    try:
        yield server
    finally:
        server.remove()


def heal_one(host: Host) -> float:
    """Crash the host's service; seconds until the daemon recorded it resolved."""
    before = resolved(host)
    crashed_at = time.monotonic()
    host.crash()
    wait_for(
        lambda: resolved(host) > before, timeout=120, message="the crash healed"
    )  # measured, not timed out
    return time.monotonic() - crashed_at


def local_ids(host: Host) -> dict[str, list[int]]:
    return {t: [row[0] for row in host.rows(f"SELECT id FROM {t} ORDER BY id")] for t in TABLES}


def fleet_ids(url: str, host_id: str) -> dict[str, list[int]]:
    with psycopg.connect(url, connect_timeout=2) as conn:
        return {
            t: [
                row[0]
                for row in conn.execute(f"SELECT id FROM {t} WHERE host_id = %s ORDER BY id", (host_id,))
            ]
            for t in TABLES
        }


@pytest.mark.timeout(240 + 2 * sizes().freeze_seconds)
def test_a_frozen_postgres_delays_no_healing_and_loses_no_record(
    postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze_s = sized(monkeypatch).freeze_seconds
    url = postgres.url(postgres.create_database())
    host = Host(tmp_path, "a", url)
    host.config["policy"].update(max_actions=1000, max_executions=1000)  # a crash every ~3 s
    host.daemon = Daemon(host.dir, host.config)
    try:
        host.start()
        before = heal_one(host)
        wait_for(lambda: fleet_ids(url, "a") == local_ids(host), timeout=60, message="replicating")
        postgres.freeze()
        frozen_at = time.monotonic()
        try:
            during = []
            while time.monotonic() - frozen_at < freeze_s:
                during.append(heal_one(host))
        finally:
            postgres.thaw()
        thawed_at = time.monotonic()
        frozen_for = thawed_at - frozen_at
        wait_for(lambda: fleet_ids(url, "a") == local_ids(host), timeout=120, message="the outbox caught up")
        local = local_ids(host)
        assert host.daemon.stop() == 0
    finally:
        host.service.stop_all()
        if host.daemon.proc is not None and host.daemon.proc.poll() is None:
            host.daemon.proc.kill()
    assert frozen_for >= freeze_s and len(during) >= 2, f"{len(during)} crashes in {frozen_for:.0f}s"
    assert max(during) < HEAL_BOUND_S, f"healed in {during} s with PostgreSQL frozen ({before:.1f}s before)"
    assert len(local["outcomes"]) == 1 + len(during) and all(local[t] for t in TABLES)
    with sqlite3.connect(f"file:{host.dir / 'kb.db'}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT COUNT(*) FROM outcomes WHERE result != 'resolved'").fetchone() == (0,)

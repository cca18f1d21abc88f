"""A fleet with two hosts for the report and live page tests: host a ran restart_web once (it
failed) and kill_web twice (resolved), host b ran restart_web once (it failed): restart_web is
quarantined (failed on 2 hosts), kill_web resolved 2 of 2 on 1 host."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.connection import connect
from mapekd.fleet.local import LocalBase
from mapekd.fleet.migrate import apply_migrations
from mapekd.fleet.outbox import Outbox
from mapekd.knowledge.store import SqliteStore
from tests.knowledge.history import record_incident

FAILED = ("restart_web", "failed", "failed")
RESOLVED = ("kill_web", "succeeded", "resolved")


def share_outcomes(url: str, base: Path, host: str, outcomes: list[tuple[str, str, str]]) -> None:
    """Closed incidents in `base`, one per outcome, replicated to the fleet by host's outbox."""
    store = SqliteStore(base)
    for n, outcome in enumerate(outcomes):
        record_incident(store, "web_down", "process:web", time.time() - 100 + n, [outcome])
    store.close()
    config = FleetConfig.model_validate({"url": url, "host_id": host})
    with connect(config) as conn:
        outbox = Outbox(LocalBase(base), host, batch=100, limit=1000)
        while outbox.push(conn):
            pass


def two_hosts(url: str, tmp: Path) -> Path:
    """The fleet's schema in `url`, hosts a and b sharing their outcomes; host a's base."""
    with psycopg.connect(url, autocommit=True) as conn:
        apply_migrations(conn)
    share_outcomes(url, tmp / "a.db", "a", [FAILED, RESOLVED, RESOLVED])
    share_outcomes(url, tmp / "b.db", "b", [FAILED])
    return tmp / "a.db"

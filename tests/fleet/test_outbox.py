"""The outbox against a real PostgreSQL: a host's SQLite rows replicated once, whatever is sent
twice; the fleet record counted from them; the outbox bounded; each host writing only its rows."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.connection import connect
from mapekd.fleet.local import LocalBase
from mapekd.fleet.migrate import add_host, apply_migrations
from mapekd.fleet.outbox import Outbox
from mapekd.knowledge.store import SqliteStore
from tests.knowledge.history import DAY, NOW, fill_history, record_incident


def migrated(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        assert apply_migrations(conn) == ["0001_fleet", "0002_leases"]
        assert apply_migrations(conn) == []


def config(url: str, host: str, **extra: object) -> FleetConfig:
    return FleetConfig.model_validate({"url": url, "host_id": host, **extra})


def push_all(outbox: Outbox, conn: psycopg.Connection[tuple[object, ...]]) -> int:
    sent = 0
    while n := outbox.push(conn):
        sent += n
    return sent


def count(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query.encode()).fetchall()


def test_rows_replicated_once_and_record_kept(pg_url: str, tmp_path: Path) -> None:
    migrated(pg_url)
    store = SqliteStore(tmp_path / "a.db")
    fill_history(store)
    local = LocalBase(store.path)
    with connect(config(pg_url, "a")) as conn:
        assert push_all(Outbox(local, "a", batch=2, limit=1000), conn) == 5 + 6 + 6 + 6
        # A restart that lost its cursors sends everything again: nothing is counted twice.
        local.conn.execute("DELETE FROM meta WHERE key LIKE 'fleet_sent_%'")
        local.conn.commit()
        assert push_all(Outbox(local, "a", batch=100, limit=1000), conn) == 23
    assert count(pg_url, "SELECT COUNT(*) FROM outcomes WHERE host_id = 'a'") == [(6,)]
    record = count(
        pg_url,
        "SELECT action, successes, tries, hosts FROM fleet_signature_record "
        "WHERE signature = 'web_down@process:web' ORDER BY action",
    )
    assert record == [("kill_web", 0, 1, 1), ("restart_web", 2, 3, 1)]
    failed = count(pg_url, "SELECT state FROM executions WHERE action = 'restart_web' AND state = 'failed'")
    assert failed == [("failed",)], "an execution's final state reaches the fleet"


def test_new_rows_follow_the_cursor_and_later_state_arrives(pg_url: str, tmp_path: Path) -> None:
    migrated(pg_url)
    store = SqliteStore(tmp_path / "a.db")
    outbox = Outbox(LocalBase(store.path), "a", batch=100, limit=1000)
    with connect(config(pg_url, "a")) as conn:
        assert push_all(outbox, conn) == 0
        record_incident(store, "web_down", "process:web", NOW, [("restart_web", "succeeded", "resolved")])
        assert push_all(outbox, conn) == 4
        assert push_all(outbox, conn) == 0
    rows = count(pg_url, "SELECT status, resolved_at IS NOT NULL FROM incidents")
    assert rows == [("resolved", True)]
    assert count(pg_url, "SELECT pending, dropped FROM hosts WHERE host_id = 'a'") == [(0, 0)]


def test_full_outbox_drops_the_oldest_unsent_rows_and_counts_them(pg_url: str, tmp_path: Path) -> None:
    migrated(pg_url)
    store = SqliteStore(tmp_path / "a.db")
    for day in range(5):
        record_incident(
            store, "web_down", "process:web", NOW - day * DAY, [("restart_web", "succeeded", "resolved")]
        )
    outbox = Outbox(LocalBase(store.path), "a", batch=100, limit=2)
    with connect(config(pg_url, "a")) as conn:
        push_all(outbox, conn)
    assert outbox.dropped == 4 * 3  # 3 of each table's 5 rows
    assert count(pg_url, "SELECT COUNT(*), MIN(id) FROM outcomes") == [(2, 4)]
    assert store.conn.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0] == 5, "SQLite keeps all"
    assert count(pg_url, "SELECT dropped FROM hosts") == [(12,)]


def test_a_host_role_writes_only_its_own_rows(postgres: object, pg_url: str, tmp_path: Path) -> None:
    migrated(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as admin:
        add_host(admin, "web_a")
        add_host(admin, "web_b")
    as_a = pg_url.replace("postgres@", "web_a@", 1)
    store = SqliteStore(tmp_path / "a.db")
    record_incident(store, "web_down", "process:web", time.time(), [("restart_web", "succeeded", "resolved")])
    with connect(config(as_a, "web_a")) as conn:
        assert push_all(Outbox(LocalBase(store.path), "web_a", batch=100, limit=1000), conn) == 4
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            push_all(Outbox(LocalBase(store.path), "web_b", batch=100, limit=1000), conn)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM outcomes")
        assert conn.execute("SELECT take_lease('k', 'web_a', 1, 60)").fetchone() == (True,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT take_lease('k2', 'web_b', 1, 60)")
    assert count(pg_url, "SELECT DISTINCT host_id FROM outcomes") == [("web_a",)]

"""Writes while the base cannot take them (another process holds its write lock; it is full):
held in memory in order, with their ids, never waiting past the short busy timeout, and
written once the base is back. A real SQLite file, a second real connection holding the lock."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from mapekd.errors import StoreError
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom


def locked(path: Path) -> sqlite3.Connection:
    """Another process's connection holding the write lock (as `mapekd kb vacuum` does)."""
    other = sqlite3.connect(str(path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_writes_under_a_held_lock_wait_no_longer_than_the_busy_timeout_and_catch_up(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    store.wait_at_most(0.1)
    other = locked(tmp_path / "kb.db")
    began = time.monotonic()
    first = store.open_incident(Symptom("r", "p:a", "critical", "down", {}))
    store.add_symptom(first, Symptom("r", "p:a", "critical", "down", {}))
    second = store.open_incident(Symptom("r", "p:b", "critical", "down", {}))
    took = time.monotonic() - began
    assert took < 1.0, f"the writes waited {took:.1f}s"
    assert (
        second == first + 1 and store.degraded is not None and store.journal.pending == 4
    )  # add_symptom also touches the incident
    assert store.catch_up() == 0, "still locked: nothing written"
    other.rollback()
    other.close()
    assert store.catch_up() == 4 and store.degraded is None
    rows = store._rows("SELECT id, target FROM incidents ORDER BY id")
    assert rows == [{"id": first, "target": "p:a"}, {"id": second, "target": "p:b"}]
    assert len(store._rows("SELECT id FROM symptoms WHERE incident_id = ?", (first,))) == 1
    store.close()


def test_a_full_base_holds_writes_and_catches_up_once_it_has_room(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count={pages}")  # SQLite's own "database or disk is full"
    ids = [store.open_incident(Symptom("r", f"p:{i}", "critical", "x" * 3000, {})) for i in range(20)]
    assert store.degraded is not None and "full" in store.degraded
    store.conn.execute(f"PRAGMA max_page_count={pages * 100}")
    store.catch_up()
    assert store.degraded is None
    assert [r["id"] for r in store._rows("SELECT id FROM incidents ORDER BY id")] == ids
    store.close()


def test_a_refused_write_is_a_store_error_not_an_outage(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    with pytest.raises(StoreError):
        store.record_outcome(999, 999, "resolved", "")  # no such execution: a foreign key
    assert store.degraded is None and store.journal.pending == 0
    store.close()

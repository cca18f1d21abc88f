"""A base from before the fleet source upgrades in place: the decisions table is rebuilt with
`fleet` allowed as a source, every row, column, index and reference to it kept; a decision the
fleet made is then recorded with source `fleet`."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from mapekd.knowledge.migrate import apply_migrations
from mapekd.knowledge.store import SqliteStore
from mapekd.resources import migrations_dir


def _base_before_the_fleet_source(tmp_path: Path) -> Path:
    old = tmp_path / "old_migrations"
    old.mkdir()
    for path in migrations_dir().glob("*.sql"):
        if path.stem < "0014":
            shutil.copy(path, old)
    db = tmp_path / "kb.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        apply_migrations(conn, old)
        conn.execute(
            "INSERT INTO incidents (id, signature, rule, target, severity, status, summary, opened_at, "
            "updated_at) VALUES (1, 's', 'r', 'process:web', 'critical', 'open', 'x', 1, 1)"
        )
        conn.execute(
            "INSERT INTO decisions (id, incident_id, ts, verdict, action, target, source, reason, "
            "fingerprint, latency_ms) VALUES (7, 1, 2, 'execute', 'restart', 'process:web', 'knowledge', "
            "'proven', 'fp1', 12.5)"
        )
        conn.execute(
            "INSERT INTO executions (id, decision_id, incident_id, action, target, state, started_at) "
            "VALUES (3, 7, 1, 'restart', 'process:web', 'succeeded', 2)"
        )
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO decisions (incident_id, ts, verdict, target, source) "
                "VALUES (1, 3, 'execute', 'process:web', 'fleet')"
            )
    conn.close()
    return db


def test_a_base_keeps_its_decisions_and_records_a_fleet_decision(tmp_path: Path) -> None:
    store = SqliteStore(_base_before_the_fleet_source(tmp_path))  # applies 0014
    [row] = store._rows("SELECT id, source, reason, fingerprint, latency_ms FROM decisions")
    kept = {"id": 7, "source": "knowledge", "reason": "proven", "fingerprint": "fp1", "latency_ms": 12.5}
    assert row == kept
    assert store._rows("SELECT decision_id FROM executions") == [{"decision_id": 7}]
    indexes = {r[1] for r in store.conn.execute("PRAGMA index_list(decisions)")}
    assert {"decisions_incident", "decisions_ts"} <= indexes
    [fk] = store.conn.execute("PRAGMA foreign_key_list(decisions)").fetchall()
    assert fk[2:4] == ("incidents", "incident_id")
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    store.record_decision(
        {"incident_id": 1, "ts": 3, "verdict": "execute", "target": "process:web", "source": "fleet"}
    )
    rows = store._rows("SELECT source FROM decisions ORDER BY id")
    assert [r["source"] for r in rows] == ["knowledge", "fleet"]
    store.close()
    with sqlite3.connect(tmp_path / "kb.db") as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute(  # the CHECK still refuses a source nobody decides with
            "INSERT INTO decisions (incident_id, ts, verdict, target, source) "
            "VALUES (1, 4, 'execute', 'process:web', 'guess')"
        )
    conn.close()

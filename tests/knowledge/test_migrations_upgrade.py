"""An existing knowledge base from before the LLM joined upgrades in place: the decisions table is
rebuilt (SQLite cannot alter a CHECK) with every row and every reference to it kept."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from mapekd.knowledge.migrate import apply_migrations
from mapekd.knowledge.store import SqliteStore
from mapekd.resources import migrations_dir


def test_an_old_database_keeps_its_rows_and_references(tmp_path: Path) -> None:
    old = tmp_path / "old_migrations"
    old.mkdir()
    shutil.copy(migrations_dir() / "0001_initial.sql", old)
    db = tmp_path / "kb.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        apply_migrations(conn, old)
        conn.execute(
            "INSERT INTO incidents VALUES (1, 's', 'r', 'process:web', 'critical', 'open', 'x', 1, 1, "
            "NULL, NULL)"
        )
        conn.execute(
            "INSERT INTO decisions (id, incident_id, ts, verdict, action, target, source) "
            "VALUES (7, 1, 2, 'execute', 'restart', 'process:web', 'rule')"
        )
        conn.execute(
            "INSERT INTO executions (id, decision_id, incident_id, action, target, state, started_at) "
            "VALUES (3, 7, 1, 'restart', 'process:web', 'succeeded', 2)"
        )
    conn.close()

    store = SqliteStore(db)  # applies every later migration
    [row] = store._rows("SELECT id, verdict, action, source, proposal FROM decisions")
    assert row == {"id": 7, "verdict": "execute", "action": "restart", "source": "rule", "proposal": None}
    [execution] = store._rows("SELECT decision_id, kind FROM executions")
    assert execution == {"decision_id": 7, "kind": "remedy"}
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.record_decision(
        {"incident_id": 1, "ts": 3, "verdict": "pending_approval", "target": "process:web", "source": "llm"}
    )
    store.close()

"""The SQLite knowledge base: migrations, WAL, the write-before-act record, timelines."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mapekd.errors import StoreError
from mapekd.knowledge.migrate import apply_migrations, split_statements
from mapekd.knowledge.store import SqliteStore
from mapekd.llm.types import CallRecord, Usage
from mapekd.model import Sample, Symptom
from mapekd.resources import migrations_dir


def test_migrations_apply_once_and_wal_is_on(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    store.close()
    store = SqliteStore(tmp_path / "kb.db")
    names = [r[0] for r in store.conn.execute("SELECT name FROM migrations")]
    assert names == sorted(p.stem for p in migrations_dir().glob("*.sql"))
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {
        "incidents",
        "symptoms",
        "decisions",
        "executions",
        "outcomes",
        "llm_calls",
        "runbooks",
        "samples",
    } <= {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    store.close()


def test_failed_migration_leaves_no_trace(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_ok.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (migrations / "0002_bad.sql").write_text("CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n")
    conn = sqlite3.connect(tmp_path / "m.db")
    with pytest.raises(StoreError, match="0002_bad"):
        apply_migrations(conn, migrations)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" in tables and "b" not in tables
    assert [r[0] for r in conn.execute("SELECT name FROM migrations")] == ["0001_ok"]


def test_split_statements_keeps_semicolons_in_strings() -> None:
    script = "-- c\nCREATE TABLE t (x TEXT DEFAULT ';');\n\nINSERT INTO t VALUES ('a;b');\n"
    assert list(split_statements(script)) == [
        "CREATE TABLE t (x TEXT DEFAULT ';');",
        "INSERT INTO t VALUES ('a;b');",
    ]


def test_one_active_incident_per_signature_is_enforced(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    symptom = Symptom("r", "p:a", "warning", "m", {})
    store.open_incident(symptom)
    with pytest.raises(StoreError):
        store.open_incident(symptom)


def test_started_executions_are_reconciled_as_interrupted(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    incident = store.open_incident(Symptom("r", "p:a", "warning", "m", {}))
    decision = store.record_decision(
        {
            "incident_id": incident,
            "ts": 1.0,
            "verdict": "execute",
            "action": "a",
            "target": "p:a",
            "source": "rule",
        }
    )
    execution = store.start_execution(
        {"decision_id": decision, "incident_id": incident, "action": "a", "target": "p:a", "started_at": 1.0}
    )
    store.close()
    store = SqliteStore(tmp_path / "kb.db")
    assert store.reconcile_interrupted() == 1
    timeline = store.timeline(incident)
    assert [e["kind"] for e in timeline] == ["decision", "execution"]
    assert timeline[1]["id"] == execution and timeline[1]["state"] == "interrupted"


def test_samples_retention(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    store.record_samples(
        [Sample("c", "t", {"ok": True}, ts=10.0), Sample("c", "t", {"ok": False, "error": "x"}, ts=20.0)]
    )
    assert store.prune_samples(15.0) == 1
    assert store.conn.execute("SELECT ok FROM samples").fetchall() == [(0,)]


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError):
        SqliteStore(blocker / "kb.db")


def test_llm_call_records_and_spend(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    ok = CallRecord(
        provider="local",
        model="smollm2",
        kind="chat",
        usage=Usage(12, 30),
        cost=0.002,
        latency_s=0.25,
        role="plan",
        ts=100.0,
    )
    failed = CallRecord(
        provider="openai",
        model="gpt",
        kind="chat",
        usage=Usage(),
        cost=0.0,
        latency_s=0.0,
        error_class="CircuitOpen",
        ts=200.0,
    )
    store.record_llm_call(ok, incident_id=None)
    store.record_llm_call(failed)
    rows = store.conn.execute(
        "SELECT provider, input_tokens, output_tokens, latency_ms, error_class, role "
        "FROM llm_calls ORDER BY ts"
    ).fetchall()
    assert rows == [("local", 12, 30, 250.0, None, "plan"), ("openai", 0, 0, 0.0, "CircuitOpen", None)]
    assert store.llm_spent_since(50.0) == 0.002 and store.llm_spent_since(150.0) == 0.0


def test_a_cycle_of_samples_is_one_transaction(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    store.record_samples([Sample("c", f"t{i}", {"ok": True, "n": i}, ts=1.0 + i) for i in range(20)])
    store.conn.set_trace_callback(None)

    assert [s.split()[0] for s in statements if s.split()[0] in ("BEGIN", "COMMIT")] == ["BEGIN", "COMMIT"]
    rows = store.conn.execute("SELECT target, ok, fields FROM samples ORDER BY ts").fetchall()
    assert len(rows) == 20 and rows[3] == ("t3", 1, '{"ok": true, "n": 3}')

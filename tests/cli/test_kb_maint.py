"""`mapekd kb export | prune | vacuum`, and reading beside a writer: read-only, never blocking."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from mapekd.errors import StoreError
from mapekd.knowledge.export import iter_rows
from mapekd.knowledge.readonly import connect_readonly
from mapekd.knowledge.retention import prune
from mapekd.knowledge.store import SqliteStore
from mapekd.resources import migrations_dir
from tests.cli.conftest import Run
from tests.cli.kbdata import fill


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_export_jsonl_and_csv(history_db: Path, run: Run, tmp_path: Path) -> None:
    code, out, _ = run("kb", "export", "--db", str(history_db))
    rows = [json.loads(line) for line in out.splitlines()]
    assert (
        code == 0
        and [r["id"] for r in rows] == list(range(1, 9))
        and rows[0]["signature"] == "down@process:web"
    )
    target = tmp_path / "decisions.csv"
    code, _, err = run(
        "kb", "export", "--db", str(history_db), "--table", "decisions", "--format", "csv", "-o", str(target)
    )
    table = list(csv.DictReader(io.StringIO(target.read_text())))
    assert code == 0 and "8 rows of decisions" in err and len(table) == 8
    assert (
        table[6]["override_reason"].startswith("the LLM chose wipe")
        and table[7]["verdict"] == "pending_approval"
    )
    recent = tmp_path / "recent.db"
    fill(recent, now=time.time())
    _, out, _ = run("kb", "export", "--db", str(recent), "--table", "llm_calls", "--since", "1h")
    assert len(out.splitlines()) == 1  # the newest call only; the others are a day old or more


def test_export_pages_never_hold_back_the_writers_checkpoint(history_db: Path) -> None:
    reader = connect_readonly(history_db)
    writer = sqlite3.connect(history_db)
    pages = iter_rows(reader, "incidents", page=3)
    first = [next(pages)[0] for _ in range(3)]
    # Between two pages no read is open: the daemon's writes and a full checkpoint go through.
    with writer:
        writer.execute("UPDATE incidents SET summary = 'changed' WHERE id = 8")
    busy, _, _ = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    rest = [row[0] for row in pages]
    assert first == [1, 2, 3] and rest == [4, 5, 6, 7, 8] and busy == 0
    with pytest.raises(StoreError, match="unknown table"):
        next(iter_rows(reader, "sqlite_master"))
    reader.close()
    writer.close()


def test_reads_never_write_and_never_wait_for_a_writer(history_db: Path, run: Run) -> None:
    before = hashlib.sha256(history_db.read_bytes()).hexdigest()
    writer = sqlite3.connect(history_db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE incidents SET status = 'resolved', resolved_at = 1 WHERE id = 6")
    for command in (["incidents", "--since", "7d", "--json"], ["stats"], ["actions"], ["llm"], ["show", "6"]):
        code, out, err = run("kb", *command, "--db", str(history_db))
        assert code == 0, err
    code, out, _ = run(
        "kb", "incidents", "--db", str(history_db), "--json", "--state", "open", "--since", "7d"
    )
    assert [r["id"] for r in json.loads(out)] == [8, 6]  # the writer's change is not committed yet
    writer.execute("ROLLBACK")
    writer.close()
    assert hashlib.sha256(history_db.read_bytes()).hexdigest() == before
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connect_readonly(history_db).execute("DELETE FROM incidents")


def test_reads_a_base_behind_this_version_and_says_so(tmp_path: Path, run: Run) -> None:
    older = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), older)
    (next(older.glob("0006_*.sql"))).unlink()
    db = tmp_path / "old.db"
    SqliteStore(db, migrations=older).close()
    code, out, err = run("kb", "incidents", "--db", str(db), "--json")
    assert code == 0 and json.loads(out) == [] and "0006_kb_indexes" in err


def test_prune_deletes_resolved_incidents_with_all_their_rows(history_db: Path, run: Run) -> None:
    code, out, _ = run("kb", "prune", "--db", str(history_db), "--older-than", "0s", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["deleted"]["incidents"] == 5 and count(history_db, "incidents") == 8
    code, out, _ = run("kb", "prune", "--db", str(history_db), "--older-than", "0s", "--json")
    deleted = json.loads(out)["deleted"]
    assert code == 0 and deleted == {
        "outcomes": 5,
        "approvals": 0,
        "executions": 5,
        "decisions": 5,
        "analyses": 0,
        "symptoms": 5,
        "evidence": 0,
        "llm_calls": 6,
        "incidents": 5,
    }
    conn = sqlite3.connect(history_db)
    assert [r[0] for r in conn.execute("SELECT id FROM incidents ORDER BY id")] == [5, 6, 8]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("SELECT COUNT(*) FROM approvals").fetchone()[0] == 1
    conn.close()
    code, out, _ = run("kb", "prune", "--db", str(history_db), "--older-than", "30d")
    assert code == 0 and "incidents" in out
    code, _, err = run("kb", "prune", "--db", str(history_db), "--older-than", "soon")
    assert code == 2 and "--older-than" in err


def test_prune_is_all_or_nothing_per_batch(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    fill(db)
    store = SqliteStore(db)
    # A row elsewhere that still refers to incident 1: the foreign key refuses the delete.
    with store.conn:
        store.conn.execute("CREATE TABLE notes (incident_id INTEGER REFERENCES incidents (id))")
        store.conn.execute("INSERT INTO notes VALUES (1)")
    with pytest.raises(StoreError, match="FOREIGN KEY"):
        prune(store.conn, older_than=2e9)
    store.close()
    assert count(db, "incidents") == 8 and count(db, "outcomes") == 7 and count(db, "symptoms") == 8


def test_vacuum_gives_free_pages_back(history_db: Path, run: Run) -> None:
    conn = sqlite3.connect(history_db)
    with conn:
        conn.executemany(
            "INSERT INTO samples (ts, check_name, target, ok, fields) VALUES (0, 'c', 't', 1, ?)",
            [("x" * 4000,) for _ in range(500)],
        )
    with conn:
        conn.execute("DELETE FROM samples")
    conn.close()
    code, out, _ = run("kb", "vacuum", "--db", str(history_db), "--json")
    sizes = json.loads(out)
    assert code == 0 and sizes["bytes_after"] < sizes["bytes_before"] - 1_000_000
    code, out, _ = run("kb", "incidents", "--db", str(history_db), "--json", "--since", "7d")
    assert code == 0 and len(json.loads(out)) == 8

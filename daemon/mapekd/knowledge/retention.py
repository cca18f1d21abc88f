"""Retention: delete resolved incidents older than a cutoff with every row that belongs to them,
and compact the file.

Deletes run child tables first (foreign keys stay on and would refuse anything else), in
batches of incidents, each batch one `BEGIN IMMEDIATE` transaction: an incident goes with all of
its rows or not at all, and the daemon's writes wait for one short batch at a time, never for the
whole prune."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from mapekd.errors import StoreError

DELETE_ORDER = (
    ("outcomes", "incident_id"),
    ("approvals", "incident_id"),
    ("executions", "incident_id"),
    ("decisions", "incident_id"),
    ("analyses", "incident_id"),
    ("symptoms", "incident_id"),
    ("evidence", "incident_id"),
    ("llm_calls", "incident_id"),
    ("incidents", "id"),
)
"""Every table holding rows of an incident, children before their parents."""
BATCH = 500


def prune(conn: sqlite3.Connection, older_than: float, *, dry_run: bool = False) -> dict[str, int]:
    """Delete incidents resolved before `older_than` and their rows, and LLM call records of no
    incident made before it; returns the rows deleted (or, with dry_run, that would be) per table."""
    deleted = dict.fromkeys((table for table, _ in DELETE_ORDER), 0)
    last = 0
    while True:
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM incidents WHERE status = 'resolved' AND resolved_at < ? AND id > ? "
                "ORDER BY id LIMIT ?",
                (older_than, last, BATCH),
            )
        ]
        if not ids:
            break
        with _transaction(conn, dry_run):
            for table, column in DELETE_ORDER:
                deleted[table] += _delete(conn, table, column, ids, dry_run)
        last = ids[-1]
    with _transaction(conn, dry_run):
        where = "WHERE incident_id IS NULL AND ts < ?"
        verb = "SELECT COUNT(*) FROM" if dry_run else "DELETE FROM"
        cursor = conn.execute(f"{verb} llm_calls {where}", (older_than,))
        deleted["llm_calls"] += cursor.fetchone()[0] if dry_run else cursor.rowcount
    return deleted


def _delete(conn: sqlite3.Connection, table: str, column: str, ids: list[int], dry_run: bool) -> int:
    # The ids travel as one JSON parameter: no statement with hundreds of placeholders.
    # Table and column names come from DELETE_ORDER only.
    where = f"WHERE {column} IN (SELECT value FROM json_each(?))"  # noqa: S608
    if dry_run:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table} {where}", (json.dumps(ids),)).fetchone()[0])  # noqa: S608
    return conn.execute(f"DELETE FROM {table} {where}", (json.dumps(ids),)).rowcount  # noqa: S608


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection, dry_run: bool) -> Iterator[None]:
    previous = conn.isolation_level
    conn.isolation_level = None  # explicit BEGIN/COMMIT, as the migrations do
    try:
        conn.execute("BEGIN" if dry_run else "BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("ROLLBACK" if dry_run else "COMMIT")
    except sqlite3.Error as exc:
        raise StoreError(f"prune failed (nothing of the current batch was deleted): {exc}") from exc
    finally:
        conn.isolation_level = previous


def vacuum(conn: sqlite3.Connection, path: Path) -> tuple[int, int]:
    """Rebuild the file without free pages and empty the WAL; returns the bytes before and after
    (database and WAL together). Holds the write lock while it runs."""
    before = _size(path)
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"vacuum failed: {exc}") from exc
    return before, _size(path)


def _size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())

"""Named migrations from `knowledge/migrations/*.sql`, each applied in one transaction together
with its row in the `migrations` table, so a failed migration leaves no trace."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from mapekd.errors import StoreError


def apply_migrations(conn: sqlite3.Connection, directory: Path) -> list[str]:
    """Apply the pending migrations in name order; return the names applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    pending = [p for p in sorted(directory.glob("*.sql")) if p.stem not in done]
    if not pending:
        return []
    # A migration may rebuild a table that others reference (SQLite cannot alter a CHECK): the
    # documented way is with foreign keys off, checked once it is done. The pragma is a no-op
    # inside a transaction, so it is set around them.
    enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys=OFF")
    try:
        for path in pending:
            _apply_one(conn, path)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(f"migrations left {len(broken)} broken foreign key(s): {broken[:3]}")
    finally:
        conn.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
    return [p.stem for p in pending]


def _apply_one(conn: sqlite3.Connection, path: Path) -> None:
    # Explicit BEGIN/COMMIT: executescript() would commit on its own and break atomicity.
    previous = conn.isolation_level
    conn.isolation_level = None
    try:
        conn.execute("BEGIN")
        for statement in split_statements(path.read_text(encoding="utf-8")):
            conn.execute(statement)
        conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (path.stem, time.time()))
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        raise StoreError(f"migration {path.stem} failed: {exc}") from exc
    finally:
        conn.isolation_level = previous


def split_statements(script: str) -> Iterator[str]:
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise StoreError(f"incomplete SQL statement at end of migration: {buffer.strip()[:60]!r}")

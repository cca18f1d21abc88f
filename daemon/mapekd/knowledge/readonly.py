"""Opening the knowledge base read-only, beside a daemon that writes it.

The connection is a `mode=ro` URI with `query_only` on: it can never write, and in WAL mode a
reader neither blocks the daemon's writes nor waits for them. Nothing is migrated here; a base
behind this version's migrations is still read (the caller is told which migrations are missing).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from mapekd.errors import StoreError
from mapekd.resources import migrations_dir

BUSY_TIMEOUT_MS = 2000
"""A reader waits only while SQLite recovers a WAL left by a crash; never for the daemon's writes."""


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to an existing knowledge base; StoreError if there is none."""
    file = Path(path)
    if not file.is_file():
        raise StoreError(f"no knowledge base at {file} (the daemon creates it when it starts)")
    uri = f"file:{quote(str(file.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute("PRAGMA query_only=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open knowledge base {file} read-only: {exc}") from exc
    return conn


def missing_migrations(conn: sqlite3.Connection) -> list[str]:
    """This version's migrations the base has not had yet (applied by the daemon when it starts)."""
    shipped = sorted(p.stem for p in migrations_dir().glob("*.sql"))
    try:
        done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    except sqlite3.Error:
        return shipped
    return [name for name in shipped if name not in done]

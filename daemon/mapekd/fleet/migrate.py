"""The fleet's own migrations (fleet/migrations/*.sql), each applied in one transaction together
with its row in the `migrations` table; and the role of each host."""

from __future__ import annotations

import re
import time
from pathlib import Path

import psycopg
from psycopg import sql

from mapekd.fleet.connection import FleetError, mapped

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HOST_ROLE = "mapekd_host"


def apply_migrations(conn: psycopg.Connection[tuple[object, ...]], directory: Path = MIGRATIONS) -> list[str]:
    """Apply the pending migrations in name order (as the tables' owner); return their names."""
    with mapped("cannot migrate the fleet's schema"):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
        )
        done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
        pending = [p for p in sorted(directory.glob("*.sql")) if p.stem not in done]
        for path in pending:
            with conn.transaction():
                conn.execute(path.read_text(encoding="utf-8").encode())
                conn.execute("INSERT INTO migrations VALUES (%s, %s)", (path.stem, time.time()))
    return [p.stem for p in pending]


def pending_migrations(
    conn: psycopg.Connection[tuple[object, ...]], directory: Path = MIGRATIONS
) -> list[str]:
    with mapped("cannot read the fleet's schema version"):
        exists = conn.execute("SELECT to_regclass('migrations') IS NOT NULL").fetchone()
        done = {r[0] for r in conn.execute("SELECT name FROM migrations")} if exists and exists[0] else set()
    return [p.stem for p in sorted(directory.glob("*.sql")) if p.stem not in done]


def add_host(conn: psycopg.Connection[tuple[object, ...]], host_id: str, password: str | None = None) -> None:
    """The host's own login role (named as its host id), member of `mapekd_host`: it may read the
    fleet and write its own rows only (row-level security)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", host_id):
        raise FleetError(
            f"invalid host id {host_id!r}: lower-case letters, digits and _ (knowledge.fleet.host_id)"
        )
    if pending_migrations(conn):
        raise FleetError("the fleet's schema is not migrated: run `mapekd fleet init` first")
    role = sql.Identifier(host_id)
    with mapped(f"cannot add host {host_id}"), conn.transaction():
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (host_id,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        if password is not None:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(password)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(HOST_ROLE), role))

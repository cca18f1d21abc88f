"""The fleet's side of the outbox: idempotent upserts keyed by (host_id, base_id, local id).

Incidents and executions change after they are first sent (resolved, finished): they are updated.
Decisions and outcomes never change: a row sent twice is ignored, and the fleet record, kept by a
trigger on outcomes really inserted, counts it once."""

from __future__ import annotations

import time
from typing import Any, LiteralString

import psycopg

from mapekd.fleet.local import TABLES

_COLUMNS: dict[str, tuple[LiteralString, ...]] = {
    "incidents": (
        "id", "signature", "rule", "target", "severity", "status", "fingerprint", "opened_at",
        "updated_at", "resolved_at",
    ),
    "decisions": (
        "id", "incident_id", "ts", "verdict", "action", "target", "source", "confidence", "reason",
        "dry_run", "fingerprint",
    ),
    "executions": (
        "id", "decision_id", "incident_id", "action", "target", "kind", "state", "started_at",
        "finished_at", "exit_code", "error",
    ),
    "outcomes": (
        "id", "execution_id", "incident_id", "ts", "result", "signature", "fingerprint", "action",
        "target", "counted",
    ),
}  # fmt: skip
_UPDATED: dict[str, tuple[LiteralString, ...]] = {
    "incidents": ("status", "fingerprint", "updated_at", "resolved_at"),
    "executions": ("state", "finished_at", "exit_code", "error"),
}


def _statement(table: LiteralString) -> LiteralString:
    columns = ("host_id", "base_id", *_COLUMNS[table])
    marks = ", ".join(f"%({c})s" for c in columns)
    updated = _UPDATED.get(table)
    action: LiteralString = (
        "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in updated) if updated else "DO NOTHING"
    )
    # Only this module's own table and column names are formatted in.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT (host_id, base_id, id) {action}"
    )


STATEMENTS = {t: _statement(t) for t in TABLES}


def upsert(
    conn: psycopg.Connection[tuple[object, ...]], host: tuple[str, str], rows: dict[str, list[dict[str, Any]]]
) -> None:
    """Every row of `rows` (table -> rows) in one transaction."""
    host_id, base_id = host
    with conn.transaction(), conn.cursor() as cur:
        for table in TABLES:
            batch = rows.get(table)
            if batch:
                keyed = [{**row, "host_id": host_id, "base_id": base_id} for row in batch]
                cur.executemany(STATEMENTS[table], keyed)


def touch_host(
    conn: psycopg.Connection[tuple[object, ...]], host: tuple[str, str], state: dict[str, Any]
) -> None:
    """This host's row: last seen now, how far it has sent, what waits and what was dropped."""
    conn.execute(
        "INSERT INTO hosts AS h (host_id, base_id, first_seen, last_seen, sent_until, pending, dropped) "
        "VALUES (%(host)s, %(base)s, %(now)s, %(now)s, %(sent_until)s, %(pending)s, %(dropped)s) "
        "ON CONFLICT (host_id) DO UPDATE SET base_id = EXCLUDED.base_id, last_seen = EXCLUDED.last_seen, "
        "sent_until = EXCLUDED.sent_until, pending = EXCLUDED.pending, dropped = EXCLUDED.dropped",
        {"host": host[0], "base": host[1], "now": time.time(), **state},
    )

"""The host's side of the outbox: its SQLite, read from a connection of the outbox's own (in the
outbox's thread), and the outbox's cursors (the last id sent of each table) kept in its `meta`
table, so that a restart goes on where the last run stopped."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from mapekd.fleet.connection import FleetError

TABLES = ("incidents", "decisions", "executions", "outcomes")
"""In the order they are sent: an outcome arrives with (or after) what it refers to."""

COLUMNS = {
    "incidents": "id, signature, rule, target, severity, status, fingerprint, opened_at, updated_at, "
    "resolved_at",
    "decisions": "id, incident_id, ts, verdict, action, target, source, confidence, reason, "
    "dry_run != 0 AS dry_run, fingerprint",
    "executions": "id, decision_id, incident_id, action, target, kind, state, started_at, finished_at, "
    "exit_code, error",
}
OUTCOMES = (
    "SELECT o.id, o.execution_id, o.incident_id, o.ts, o.result, i.signature, i.fingerprint, e.action, "
    "e.target, (e.state IN ('succeeded', 'failed', 'timeout') AND e.kind = 'remedy') AS counted "
    "FROM outcomes o JOIN executions e ON e.id = o.execution_id JOIN incidents i ON i.id = o.incident_id "
    "WHERE o.id > ? ORDER BY o.id LIMIT ?"
)
"""An outcome with what the fleet record is kept by; `counted`: a real remedy ran (the same rule
as the host's own success rates)."""
BOOLEANS = frozenset({"dry_run", "counted"})
CURSOR_KEY = "fleet_sent_{}"
STATE_KEY = "fleet_state"


class LocalBase:
    def __init__(self, path: Path) -> None:
        try:
            self.conn = sqlite3.connect(path, timeout=1.0, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.base_id = str(self._one("SELECT value FROM meta WHERE key = 'base_id'"))
        except sqlite3.Error as exc:
            raise FleetError(f"cannot read the knowledge base {path}: {exc}") from exc

    def _one(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        row = self.conn.execute(query, params).fetchone()
        return row[0] if row is not None else None

    def cursors(self) -> dict[str, int]:
        keys = {CURSOR_KEY.format(t): t for t in TABLES}
        rows = self.conn.execute(
            f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(keys))})",  # noqa: S608
            tuple(keys),
        ).fetchall()
        found = {keys[r["key"]]: int(r["value"]) for r in rows}
        return {t: found.get(t, 0) for t in TABLES}

    def newest(self) -> dict[str, int]:
        """The newest id of each table (its own names only)."""
        return {t: int(self._one(f"SELECT COALESCE(MAX(id), 0) FROM {t}")) for t in TABLES}  # noqa: S608

    def after(self, table: str, last: int, limit: int) -> list[dict[str, Any]]:
        if table == "outcomes":
            rows = self.conn.execute(OUTCOMES, (last, limit)).fetchall()
        else:
            query = f"SELECT {COLUMNS[table]} FROM {table} WHERE id > ? ORDER BY id LIMIT ?"  # noqa: S608
            rows = self.conn.execute(query, (last, limit)).fetchall()
        return [_typed(r) for r in rows]

    def first_outcome_after(self, last: int) -> float | None:
        value = self._one("SELECT ts FROM outcomes WHERE id > ? ORDER BY id LIMIT 1", (last,))
        return None if value is None else float(value)

    def by_ids(self, table: str, ids: set[int]) -> list[dict[str, Any]]:
        """Rows as they are now (an execution finished, an incident resolved since it was sent)."""
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        query = f"SELECT {COLUMNS[table]} FROM {table} WHERE id IN ({marks})"  # noqa: S608
        return [_typed(r) for r in self.conn.execute(query, tuple(ids)).fetchall()]

    def save(self, cursors: dict[str, int], state: dict[str, Any]) -> None:
        """Cursors and the outbox's state in one transaction; the base may be busy (it is the
        loop's first): then they are saved next time, and at worst rows are sent twice, which
        the upserts make harmless."""
        rows = [(CURSOR_KEY.format(t), str(v)) for t, v in cursors.items()]
        rows.append((STATE_KEY, json.dumps(state)))
        try:
            with self.conn:
                self.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", rows)
        except sqlite3.OperationalError:
            pass  # locked or full: kept in memory, saved next time

    def close(self) -> None:
        self.conn.close()


def _typed(row: sqlite3.Row) -> dict[str, Any]:
    """SQLite's 0/1 as the booleans PostgreSQL's columns are."""
    out = dict(row)
    for key in BOOLEANS.intersection(out):
        out[key] = bool(out[key])
    return out


def read_state(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The outbox's last saved state, for `mapekd status` beside a running daemon."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (STATE_KEY,)).fetchone()
    if row is None:
        return None
    try:
        state = json.loads(row[0])
    except ValueError:
        return None
    return state if isinstance(state, dict) else None

"""The outbox: what the host's SQLite holds and PostgreSQL does not yet, sent in batches.

The SQLite base is the source of truth and is never changed here but for the cursors (the last id
sent of each table, in its `meta` table). Each step reads the rows past the cursors, a batch per
table, with the current state of the incidents and executions the new outcomes refer to, upserts
them all in one PostgreSQL transaction, and only then moves the cursors. Bounded: when more than
`outbox_limit` rows of a table wait (a long outage), the oldest of them are skipped — left in
SQLite, never sent — and counted as dropped."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from mapekd.fleet.local import TABLES, LocalBase
from mapekd.fleet.remote import touch_host, upsert

HEARTBEAT_S = 5.0
"""With nothing to send, the host's row and its saved state are still refreshed this often (how
`mapekd status` and `mapekd fleet status` tell a live host from a stopped one)."""


class Outbox:
    def __init__(self, local: LocalBase, host_id: str, *, batch: int, limit: int) -> None:
        self.local = local
        self.host = (host_id, local.base_id)
        self.batch = batch
        self.limit = limit
        self.cursors = local.cursors()
        self.pending = 0
        self.dropped = 0
        self._reported_at = float("-inf")
        self.oldest_unsent_at: float | None = None
        """When the oldest outcome not sent yet was recorded (None: none waits)."""

    def push(self, conn: psycopg.Connection[tuple[object, ...]]) -> int:
        """One step: up to a batch of each table sent; returns the number of rows read past the
        cursors (0: the outbox is empty)."""
        newest = self.local.newest()
        self._bound(newest)
        if newest == self.cursors:  # idle: only a heartbeat now and then
            if time.monotonic() - self._reported_at >= HEARTBEAT_S:
                self._report(conn)
            return 0
        rows = {t: self.local.after(t, self.cursors[t], self.batch) for t in TABLES}
        fresh = _merged(rows, self._refreshed(rows["outcomes"]))
        if any(fresh.values()):
            upsert(conn, self.host, fresh)
        for table, sent in rows.items():
            if sent:
                self.cursors[table] = int(sent[-1]["id"])
        self._bound(newest)
        self._report(conn)
        return sum(len(r) for r in rows.values())

    def _report(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        """This host's row in the fleet, and the cursors and state in its own base."""
        touch_host(conn, self.host, self.state())
        now = time.time()
        self.local.save(self.cursors, {**self.state(), "saved_at": now, "error": None, "last_ok_at": now})
        self._reported_at = time.monotonic()

    def state(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "dropped": self.dropped,
            "sent_until": self.oldest_unsent_at or time.time(),
        }

    def _refreshed(self, outcomes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """The incidents and executions of new outcomes as they are now (finished, resolved)."""
        return {
            "incidents": self.local.by_ids("incidents", {int(o["incident_id"]) for o in outcomes}),
            "executions": self.local.by_ids("executions", {int(o["execution_id"]) for o in outcomes}),
        }

    def _bound(self, newest: dict[str, int]) -> None:
        self.pending = 0
        for table in TABLES:
            waiting = newest[table] - self.cursors[table]
            if waiting > self.limit:
                self.cursors[table] += waiting - self.limit
                self.dropped += waiting - self.limit
                waiting = self.limit
            self.pending += max(waiting, 0)
        self.oldest_unsent_at = self.local.first_outcome_after(self.cursors["outcomes"])


def _merged(
    rows: dict[str, list[dict[str, Any]]], refreshed: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """The rows read past the cursors with the refreshed ones (one row per id, the newest read)."""
    out = {}
    for table in TABLES:
        by_id = {int(r["id"]): r for r in rows[table]}
        by_id.update({int(r["id"]): r for r in refreshed.get(table, [])})
        out[table] = [by_id[k] for k in sorted(by_id)]
    return out

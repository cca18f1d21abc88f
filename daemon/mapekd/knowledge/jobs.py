"""The API's job queue in the knowledge base (table `jobs`, migration 0004).

    queued ──claim()──► running ──finish()──► completed
                           │    ──fail()────► failed
                           └── the process stopped: requeue_unfinished() at the next start

Shares the store's connection: one thread, cheap statements, made inline from the event loop.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from mapekd.errors import StoreError

_CLAIM = (
    "UPDATE jobs SET state = 'running', started_at = ?, attempts = attempts + 1 "
    "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY created_at, rowid LIMIT 1) "
    "RETURNING id, owner, request, provider"
)
_COUNT_PENDING = "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')"


class JobStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            with self.conn:
                return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"jobs: {exc}") from exc

    def add(self, job_id: str, owner: str, request: dict[str, Any], provider: str | None, limit: int) -> bool:
        """Queue a job unless `limit` jobs are already pending; False when the queue is full."""
        try:
            with self.conn:
                (pending,) = self.conn.execute(_COUNT_PENDING).fetchone()
                if pending >= limit:
                    return False
                self.conn.execute(
                    "INSERT INTO jobs (id, state, owner, request, provider, created_at) "
                    "VALUES (?, 'queued', ?, ?, ?, ?)",
                    (job_id, owner, json.dumps(request), provider, time.time()),
                )
            return True
        except sqlite3.Error as exc:
            raise StoreError(f"jobs: cannot queue: {exc}") from exc

    def claim(self) -> dict[str, Any] | None:
        """The oldest queued job, now marked running."""
        try:
            with self.conn:  # RETURNING rows must be read before the commit
                row = self.conn.execute(_CLAIM, (time.time(),)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"jobs: cannot claim: {exc}") from exc
        if row is None:
            return None
        return {"id": row[0], "owner": row[1], "request": json.loads(row[2]), "provider": row[3]}

    def finish(self, job_id: str, result: dict[str, Any]) -> None:
        self._end(job_id, "completed", result, None)

    def fail(self, job_id: str, error: dict[str, Any]) -> None:
        self._end(job_id, "failed", None, error)

    def _end(self, job_id: str, state: str, result: Any, error: Any) -> None:
        self._run(
            "UPDATE jobs SET state = ?, finished_at = ?, result = ?, error = ? WHERE id = ?",
            (state, time.time(), _json(result), _json(error), job_id),
        )

    def get(self, job_id: str) -> dict[str, Any] | None:
        cursor = self._run(
            "SELECT id, state, owner, provider, created_at, started_at, finished_at, attempts, "
            "result, error FROM jobs WHERE id = ?",
            (job_id,),
        )
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        if row is None:
            return None
        job = dict(zip(names, row, strict=True))
        for key in ("result", "error"):
            job[key] = json.loads(job[key]) if job[key] else None
        return job

    def requeue_unfinished(self) -> int:
        """Jobs left running by a process that stopped: queued again, in their original order."""
        return self._run(
            "UPDATE jobs SET state = 'queued', started_at = NULL WHERE state = 'running'"
        ).rowcount

    def pending(self) -> int:
        (count,) = self._run(_COUNT_PENDING).fetchone()
        return int(count)

    def prune(self, finished_before: float) -> int:
        return self._run("DELETE FROM jobs WHERE finished_at < ?", (finished_before,)).rowcount


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)

"""The API's job queue in the knowledge base (table `jobs`, migration 0004).

    queued ──claim()──► running ──finish()──► completed
      ▲                    │    ──fail()────► failed
      └──── release() ─────┤    (a stop: the run did not count)
            requeue() ─────┘    (a crash: at the next start, unless its attempts are spent)

`attempts` grows when a worker claims a job, so a job whose run crashed the process is still
counted: past `max_attempts` it fails for good instead of being retried at every start. What is
stored is bounded by the caller (request and result sizes, counts); a finished job keeps its
result but not its request, and `prune()` deletes finished jobs by age and count.

Shares the store's connection: one thread, cheap statements, made inline from the event loop.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any, Literal

from mapekd.errors import StoreError

Refusal = Literal["queue_full", "token_quota"]
_CLAIM = (
    "UPDATE jobs SET state = 'running', started_at = ?, attempts = attempts + 1 "
    "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND attempts < ? "
    "ORDER BY created_at, rowid LIMIT 1) "
    "RETURNING id, owner, request, provider"
)
_COUNT_PENDING = "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')"
_PENDING_COUNTS = (
    "SELECT COUNT(*), COUNT(*) FILTER (WHERE owner = ?) FROM jobs WHERE state IN ('queued', 'running')"
)
_GIVE_UP = (
    "UPDATE jobs SET state = 'failed', finished_at = ?, error = ?, request = '{}' "
    "WHERE state IN ('queued', 'running') AND attempts >= ?"
)
_PRUNE = (
    "DELETE FROM jobs WHERE state IN ('completed', 'failed') AND (finished_at < ? OR id IN "
    "(SELECT id FROM jobs WHERE state IN ('completed', 'failed') "
    "ORDER BY finished_at DESC LIMIT -1 OFFSET ?))"
)


class JobStore:
    def __init__(self, conn: sqlite3.Connection, max_attempts: int = 3) -> None:
        self.conn = conn
        self.max_attempts = max_attempts

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            with self.conn:
                return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"jobs: {exc}") from exc

    def add(
        self, job_id: str, owner: str, request: str, provider: str | None, *, limit: int, per_owner: int
    ) -> Refusal | None:
        """Queue a job (its request already serialized); the reason when it is refused."""
        try:
            with self.conn:
                total, mine = self.conn.execute(_PENDING_COUNTS, (owner,)).fetchone()
                if total >= limit:
                    return "queue_full"
                if mine >= per_owner:
                    return "token_quota"
                self.conn.execute(
                    "INSERT INTO jobs (id, state, owner, request, provider, created_at) "
                    "VALUES (?, 'queued', ?, ?, ?, ?)",
                    (job_id, owner, request, provider, time.time()),
                )
            return None
        except sqlite3.Error as exc:
            raise StoreError(f"jobs: cannot queue: {exc}") from exc

    def claim(self) -> dict[str, Any] | None:
        """The oldest queued job with attempts left, now marked running (one more attempt)."""
        try:
            with self.conn:  # RETURNING rows must be read before the commit
                row = self.conn.execute(_CLAIM, (time.time(), self.max_attempts)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"jobs: cannot claim: {exc}") from exc
        if row is None:
            return None
        return {"id": row[0], "owner": row[1], "request": row[2], "provider": row[3]}

    def finish(self, job_id: str, result: str) -> None:
        self._end(job_id, "completed", result, None)

    def fail(self, job_id: str, error: dict[str, Any]) -> None:
        self._end(job_id, "failed", None, json.dumps(error))

    def _end(self, job_id: str, state: str, result: str | None, error: str | None) -> None:
        # The request is not needed once the job ended: only its outcome is kept.
        self._run(
            "UPDATE jobs SET state = ?, finished_at = ?, result = ?, error = ?, request = '{}' WHERE id = ?",
            (state, time.time(), result, error, job_id),
        )

    def release(self, job_id: str) -> None:
        """A run stopped by a clean shutdown: queued again, and that attempt does not count."""
        self._run(
            "UPDATE jobs SET state = 'queued', started_at = NULL, attempts = MAX(attempts - 1, 0) "
            "WHERE id = ? AND state = 'running'",
            (job_id,),
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

    def requeue_unfinished(self) -> tuple[int, int]:
        """At start, jobs the stopped process left pending: those with attempts left queued again
        (in their original order), the others failed. (re-queued, given up)."""
        error = json.dumps(
            {
                "message": f"gave up after {self.max_attempts} attempts",
                "type": "server_error",
                "code": "too_many_attempts",
            }
        )
        try:
            with self.conn:
                given_up = self.conn.execute(_GIVE_UP, (time.time(), error, self.max_attempts)).rowcount
                requeued = self.conn.execute(
                    "UPDATE jobs SET state = 'queued', started_at = NULL WHERE state = 'running'"
                ).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"jobs: cannot requeue: {exc}") from exc
        return requeued, given_up

    def pending(self) -> int:
        (count,) = self._run(_COUNT_PENDING).fetchone()
        return int(count)

    def prune(self, finished_before: float, keep: int) -> int:
        """Delete finished jobs that ended before `finished_before`, and all but the `keep`
        most recently finished."""
        return self._run(_PRUNE, (finished_before, keep)).rowcount

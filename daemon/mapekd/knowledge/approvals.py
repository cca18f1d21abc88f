"""Approvals in the knowledge base: a decision that waits for a person.

`mapekd approve ID` / `mapekd deny ID` (and the API) write here; the daemon polls `due` about once
a second while any approval is open. States: pending -> approved -> executed, or pending -> denied
| expired (final); an approved one not executed by its expiry expires too. A decision deferred to a
maintenance window is a pending approval with `not_before`: from then on it may run as if
approved, until it expires (the window's end). Execution is claimed compare-and-set
(`claim_approval`): an approval runs at most once, and never after it was denied or expired.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from mapekd.errors import ApprovalError, StoreError
from mapekd.knowledge.queries import Queries


class ApprovalStore(Queries):
    def has_open_approvals(self) -> bool:
        """Any approval still pending or approved (something to decide, expire or run)."""
        return bool(self._rows("SELECT 1 FROM approvals WHERE state IN ('pending', 'approved') LIMIT 1"))

    def approval(self, approval_id: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM approvals WHERE id = ?", (approval_id,))
        return rows[0] if rows else None

    def pending_approvals(self) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT a.id, a.decision_id, a.incident_id, a.action, a.target, a.requested_at, a.expires_at, "
            "d.source, d.reason, d.confidence, i.signature FROM approvals a "
            "JOIN decisions d ON d.id = a.decision_id JOIN incidents i ON i.id = a.incident_id "
            "WHERE a.state = 'pending' AND a.expires_at > ? ORDER BY a.id",
            (time.time(),),
        )

    def decide_approval(self, approval_id: int, approve: bool, by: str) -> str:
        """Approve or deny a pending approval; raises ApprovalError when it is unknown, expired or
        already decided (a denial is final, and so is an approval)."""
        state = "approved" if approve else "denied"
        cursor = self._write(
            "UPDATE approvals SET state = ?, decided_at = ?, decided_by = ? "
            "WHERE id = ? AND state = 'pending' AND expires_at > ?",
            (state, time.time(), by, approval_id, time.time()),
        )
        if cursor.rowcount == 1:
            return state
        row = self.approval(approval_id)
        if row is None:
            raise ApprovalError(f"no approval {approval_id}")
        current = "expired" if row["state"] == "pending" else row["state"]
        raise ApprovalError(f"approval {approval_id} is {current}: it can no longer be decided")

    def due_approvals(self, now: float) -> list[dict[str, Any]]:
        """Approved (or deferred to a window that is open now), not yet executed nor expired: the
        daemon runs these."""
        return self._rows(
            "SELECT * FROM approvals WHERE expires_at > ? AND (state = 'approved' OR "
            "(state = 'pending' AND not_before IS NOT NULL AND not_before <= ?)) ORDER BY id",
            (now, now),
        )

    def claim_approval(self, approval_id: int, now: float) -> bool:
        """Mark a due approval executed, compare-and-set: True for exactly one caller, and only
        while it is due (not denied, not expired, not claimed before)."""
        cursor = self._write(
            "UPDATE approvals SET state = 'executed' WHERE id = ? AND expires_at > ? AND (state = "
            "'approved' OR (state = 'pending' AND not_before IS NOT NULL AND not_before <= ?))",
            (approval_id, now, now),
        )
        return cursor.rowcount == 1

    def expire_approvals(self, now: float) -> list[dict[str, Any]]:
        """Mark approvals past their expiry that never ran expired, pending or approved; returns
        them (nothing of theirs runs)."""
        rows = self._rows(
            "SELECT * FROM approvals WHERE state IN ('pending', 'approved') AND expires_at <= ?", (now,)
        )
        if rows:
            self._write(
                "UPDATE approvals SET state = 'expired', decided_at = COALESCE(decided_at, ?) "
                "WHERE state IN ('pending', 'approved') AND expires_at <= ?",
                (now, now),
            )
        return rows

    def close_approval(self, approval_id: int, state: str, reason: str = "") -> None:
        self._write("UPDATE approvals SET state = ?, reason = ? WHERE id = ?", (state, reason, approval_id))

    def _write(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            with self.conn:
                return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write approvals: {exc}") from exc

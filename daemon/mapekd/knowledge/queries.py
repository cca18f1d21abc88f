"""Read side of the knowledge base: what the planner and the `mapekd kb` commands ask."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mapekd.errors import StoreError
from mapekd.knowledge.library import database, is_not_found
from mapekd.knowledge.rows import IncidentRow

if TYPE_CHECKING:
    from sqlite_utils.db import Table

REAL_STATES = "('succeeded', 'failed', 'timeout') AND e.kind = 'remedy'"
"""SQL condition (after `e.state IN`) for remedies that really ran: only these count as evidence
for success rates (dry-run would_execute, interrupted executions and notifications do not)."""

RECORD_WINDOW = 1000
"""The latest incidents of a signature whose record per cause is read when deciding: bounds the
knowledge path's read (about 5 ms at the bound on two cores) however long the history is."""


@contextlib.contextmanager
def mapped(what: str) -> Iterator[None]:
    """The boundary: sqlite3's and sqlite-utils' errors become StoreError, by type."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(f"{what}: {exc}") from exc
    except Exception as exc:
        if is_not_found(exc):
            raise StoreError(f"{what}: {exc}") from exc
        raise


class Queries:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.db = database(conn)
        self._tables: dict[str, Table] = {}

    def _rows(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with mapped("query failed"):
            return list(self.db.query(sql, params))

    def _where(
        self, table: str, where: str | None, args: tuple[Any, ...] = (), **options: Any
    ) -> list[dict[str, Any]]:
        with mapped(f"cannot read {table}"):
            return list(self._table(table).rows_where(where, args, **options))

    def _table(self, name: str) -> Table:
        """sqlite-utils' Table, made once per name (making one asks SQLite for the views)."""
        if name not in self._tables:
            self._tables[name] = self.db.table(name)
        return self._tables[name]

    def incident_row(self, incident_id: int) -> IncidentRow | None:
        rows = self._where("incidents", "id = ?", (incident_id,))
        return IncidentRow.from_row(rows[0]) if rows else None

    def active_incident_row(self, signature: str) -> IncidentRow | None:
        rows = self._where("incidents", "signature = ? AND resolved_at IS NULL", (signature,))
        return IncidentRow.from_row(rows[0]) if rows else None

    def active_incident_rows(self) -> list[IncidentRow]:
        rows = self._where("incidents", "resolved_at IS NULL", (), order_by="id")
        return [IncidentRow.from_row(row) for row in rows]

    def active_incident(self, signature: str) -> dict[str, Any] | None:
        rows = self._where("incidents", "signature = ? AND resolved_at IS NULL", (signature,))
        return rows[0] if rows else None

    def active_incidents(self) -> list[dict[str, Any]]:
        return self._where("incidents", "resolved_at IS NULL", (), order_by="id")

    def incident(self, incident_id: int) -> dict[str, Any] | None:
        rows = self._where("incidents", "id = ?", (incident_id,))
        return rows[0] if rows else None

    def incidents(self, since: float = 0.0, limit: int = 200) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT i.*, (SELECT COUNT(*) FROM executions e WHERE e.incident_id = i.id) "
            "AS executions FROM incidents i WHERE i.opened_at >= ? ORDER BY i.id DESC LIMIT ?",
            (since, limit),
        )

    def remedies_since(self, since: float) -> list[tuple[float, str, str | None, str]]:
        """(started_at, action, effect, target) of the remedies (real or would_execute) started
        since `since`, oldest first: what policy counts. Notifications are not remedies."""
        rows = self._rows(
            "SELECT started_at, action, effect, target FROM executions WHERE kind = 'remedy' "
            "AND started_at >= ? ORDER BY started_at",
            (since,),
        )
        return [(float(r["started_at"]), r["action"], r["effect"], r["target"]) for r in rows]

    def success_rates(self, signature: str) -> dict[str, tuple[int, int]]:
        """action -> (resolved outcomes, real executions with an outcome) for this signature."""
        rows = self._rows(
            "SELECT e.action, SUM(o.result = 'resolved') AS ok, COUNT(*) AS n "
            "FROM executions e JOIN outcomes o ON o.execution_id = e.id "
            "JOIN incidents i ON i.id = e.incident_id "
            "WHERE i.signature = ? AND e.state IN " + REAL_STATES + " GROUP BY e.action",
            (signature,),
        )
        return {r["action"]: (int(r["ok"] or 0), int(r["n"])) for r in rows}

    def cause_rates(self, signature: str) -> dict[str | None, dict[str, tuple[int, int]]]:
        """fingerprint -> action -> (resolved outcomes, real executions with an outcome) over the
        latest RECORD_WINDOW incidents of this signature; the key None holds those whose cause
        is not known. Summed over every key, it is the signature's own record. One query, led by
        the signature's index (the planner would otherwise scan every execution)."""
        rows = self._rows(
            "SELECT i.fingerprint, e.action, SUM(o.result = 'resolved') AS ok, COUNT(*) AS n FROM "  # noqa: S608
            "(SELECT id, fingerprint FROM incidents WHERE signature = ? ORDER BY opened_at DESC LIMIT ?) i "
            "CROSS JOIN executions e ON e.incident_id = i.id CROSS JOIN outcomes o ON o.execution_id = e.id "
            "WHERE e.state IN " + REAL_STATES + " GROUP BY i.fingerprint, e.action",
            (signature, RECORD_WINDOW),
        )
        rates: dict[str | None, dict[str, tuple[int, int]]] = {}
        for r in rows:
            rates.setdefault(r["fingerprint"], {})[r["action"]] = (int(r["ok"] or 0), int(r["n"]))
        return rates

    def evidence(self, incident_id: int) -> list[dict[str, Any]]:
        """The evidence of one incident as stored (redacted), in the order it was gathered."""
        return self._where("evidence", "incident_id = ?", (incident_id,), order_by="id")

    def cause_of(self, incident_id: int) -> dict[str, Any]:
        """What is known of an incident's cause: {fingerprint, templates, evidence} (the evidence
        as stored, redacted; empty while nothing was gathered)."""
        rows = self._where("incidents", "id = ?", (incident_id,), select="fingerprint, cause_templates")
        row = rows[0] if rows else {}
        try:
            templates = json.loads(row.get("cause_templates") or "[]")
        except ValueError:
            templates = []
        evidence = [
            {k: e[k] for k in ("id", "kind", "source", "text", "at", "template")}
            for e in self.evidence(incident_id)
        ]
        return {"fingerprint": row.get("fingerprint"), "templates": templates, "evidence": evidence}

    def failed_decision(self, incident_id: int) -> int | None:
        """The latest decision of this incident whose remedy failed or did not resolve it."""
        rows = self._rows(
            "SELECT MAX(e.decision_id) AS d FROM executions e JOIN outcomes o ON o.execution_id = e.id "
            "WHERE e.incident_id = ? AND e.kind = 'remedy' AND o.result != 'resolved'",
            (incident_id,),
        )
        return rows[0]["d"] if rows and rows[0]["d"] is not None else None

    def latest_symptom(self, incident_id: int) -> dict[str, Any] | None:
        rows = self._where("symptoms", "incident_id = ?", (incident_id,), order_by="id DESC", limit=1)
        if not rows:
            return None
        return {**rows[0], "fields": json.loads(rows[0]["fields"])}

    def decision(self, decision_id: int) -> dict[str, Any] | None:
        rows = self._where("decisions", "id = ?", (decision_id,))
        return rows[0] if rows else None

    def action_stats(self) -> list[dict[str, Any]]:
        """Success rate per (signature, action) over real executions."""
        return self._rows(
            "SELECT i.signature, e.action, COUNT(e.id) AS executions, "
            "SUM(o.result = 'resolved') AS resolved, SUM(o.result = 'not_resolved') "
            "AS not_resolved, SUM(o.result = 'failed') AS failed, "
            "ROUND(1.0 * SUM(o.result = 'resolved') / COUNT(o.id), 3) AS success_rate, "
            "ROUND(AVG(e.duration_ms), 1) AS avg_duration_ms "
            "FROM executions e JOIN incidents i ON i.id = e.incident_id "
            "LEFT JOIN outcomes o ON o.execution_id = e.id "
            "WHERE e.state IN " + REAL_STATES + " GROUP BY i.signature, e.action "
            "ORDER BY i.signature, success_rate DESC"
        )

    def timeline(self, incident_id: int) -> list[dict[str, Any]]:
        """Symptoms, decisions, executions and outcomes of one incident in time order."""
        events: list[dict[str, Any]] = []
        for kind, sql in _TIMELINE_QUERIES:
            for row in self._rows(sql, (incident_id,)):
                for key in ("fields", "params", "candidates", "proposal", "parsed", "unsupported"):
                    if isinstance(row.get(key), str):
                        row[key] = json.loads(row[key])
                events.append({"kind": kind, **row})
        events.sort(key=lambda e: (e["ts"], _KIND_ORDER[e["kind"]]))
        return events


_TIMELINE_QUERIES = (
    ("symptom", "SELECT id, ts, rule, target, severity, message, fields FROM symptoms WHERE incident_id = ?"),
    (
        "decision",
        "SELECT id, ts, verdict, action, target, params, candidates, source, risk, confidence, reason, "
        "dry_run, override_reason, proposal, proposal_raw, prompt_template, prompt_version, model, "
        "latency_ms FROM decisions WHERE incident_id = ?",
    ),
    (
        "execution",
        "SELECT id, decision_id, started_at AS ts, finished_at, kind AS purpose, event, action, target, "
        "state, attempts, exit_code, duration_ms, output_tail, error FROM executions "
        "WHERE incident_id = ?",
    ),
    ("outcome", "SELECT id, execution_id, ts, result, detail FROM outcomes WHERE incident_id = ?"),
    (
        "analysis",
        "SELECT id, ts, state, summary, suspected_cause, confidence, parsed, error, prompt_template, "
        "prompt_version, model, latency_ms, grounded, unsupported, reused_from FROM analyses "
        "WHERE incident_id = ?",
    ),
    (
        "approval",
        "SELECT id, decision_id, requested_at AS ts, action, state, expires_at, decided_at, decided_by, "
        "reason FROM approvals WHERE incident_id = ?",
    ),
)
_KIND_ORDER = {"symptom": 0, "analysis": 1, "decision": 2, "approval": 3, "execution": 4, "outcome": 5}

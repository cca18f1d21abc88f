"""The Store seam: every knowledge read and write goes through SqliteStore."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

from mapekd.errors import StoreError
from mapekd.knowledge.approvals import ApprovalStore
from mapekd.knowledge.migrate import apply_migrations
from mapekd.llm.types import CallRecord
from mapekd.model import Sample, Symptom
from mapekd.resources import migrations_dir

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


class SqliteStore(ApprovalStore):
    """One connection, WAL, foreign keys on. Cheap calls, made inline from the event loop."""

    def __init__(self, path: str | Path, *, migrations: Path | None = None) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=10.0)
            conn.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL is still crash-safe (a power cut may lose the last transactions,
            # never corrupt the file) and drops an fsync per commit from the loop's hot path.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            apply_migrations(conn, migrations or migrations_dir())
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open knowledge base {self.path}: {exc}") from exc
        super().__init__(conn)

    def close(self) -> None:
        self.conn.close()

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        columns = ", ".join(_names(table, row))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})"  # noqa: S608 (names checked)
        try:
            with self.conn:
                return int(self.conn.execute(sql, tuple(row.values())).lastrowid or 0)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write {table}: {exc}") from exc

    def _update(self, table: str, pk: int, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"{name} = ?" for name in _names(table, values))
        sql = f"UPDATE {table} SET {assignments} WHERE id = ?"  # noqa: S608 (names checked)
        try:
            with self.conn:
                self.conn.execute(sql, (*values.values(), pk))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot update {table} {pk}: {exc}") from exc

    # incidents -----------------------------------------------------------------------------
    def open_incident(self, symptom: Symptom) -> int:
        now = symptom.ts
        return self._insert(
            "incidents",
            {
                "signature": symptom.signature,
                "rule": symptom.rule,
                "target": symptom.target,
                "severity": symptom.severity,
                "status": "open",
                "summary": symptom.message,
                "opened_at": now,
                "updated_at": now,
            },
        )

    def add_symptom(self, incident_id: int, symptom: Symptom) -> int:
        self._update("incidents", incident_id, {"updated_at": symptom.ts})
        return self._insert(
            "symptoms",
            {
                "incident_id": incident_id,
                "ts": symptom.ts,
                "rule": symptom.rule,
                "target": symptom.target,
                "severity": symptom.severity,
                "message": symptom.message,
                "fields": json.dumps(symptom.fields, default=str),
            },
        )

    def resolve_incident(self, incident_id: int, ts: float | None = None) -> None:
        now = ts or time.time()
        self._update("incidents", incident_id, {"status": "resolved", "resolved_at": now, "updated_at": now})

    def give_up(self, incident_id: int, ts: float | None = None) -> None:
        now = ts or time.time()
        self._update("incidents", incident_id, {"status": "gave_up", "gave_up_at": now, "updated_at": now})

    # decisions, executions, outcomes -------------------------------------------------------
    def record_decision(self, row: dict[str, Any]) -> int:
        row = {
            **row,
            "params": json.dumps(row.get("params", {})),
            "candidates": json.dumps(row.get("candidates", [])),
            "dry_run": int(bool(row.get("dry_run"))),
        }
        return self._insert("decisions", row)

    def start_execution(self, row: dict[str, Any]) -> int:
        return self._insert("executions", {**row, "state": row.get("state", "started")})

    def finish_execution(self, execution_id: int, values: dict[str, Any]) -> None:
        self._update("executions", execution_id, values)

    def record_outcome(self, execution_id: int, incident_id: int, result: str, detail: str) -> int:
        return self._insert(
            "outcomes",
            {
                "execution_id": execution_id,
                "incident_id": incident_id,
                "ts": time.time(),
                "result": result,
                "detail": detail,
            },
        )

    def reconcile_interrupted(self) -> int:
        """Executions left `started` by a previous run that died mid-action."""
        try:
            with self.conn:
                cursor = self.conn.execute(
                    "UPDATE executions SET state = 'interrupted', finished_at = ?, "
                    "error = 'daemon stopped before the action completed' WHERE state = 'started'",
                    (time.time(),),
                )
            return cursor.rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"cannot reconcile executions: {exc}") from exc

    def record_analysis(self, row: dict[str, Any]) -> int:
        return self._insert("analyses", row)

    # llm calls -------------------------------------------------------------------------------
    def record_llm_call(
        self,
        record: CallRecord,
        *,
        incident_id: int | None = None,
        template: str | None = None,
        version: str | None = None,
    ) -> int:
        """A gateway call record (usable directly as the gateway's sink)."""
        return self._insert(
            "llm_calls",
            {
                "ts": record.ts,
                "incident_id": incident_id,
                "prompt_template": template,
                "prompt_version": version,
                "kind": record.kind,
                "role": record.role,
                "tenant": record.tenant,
                "provider": record.provider,
                "model": record.model,
                "input_tokens": record.usage.input_tokens,
                "output_tokens": record.usage.output_tokens,
                "cost": record.cost,
                "latency_ms": round(record.latency_s * 1000, 3),
                "cached": int(record.cached),
                "error_class": record.error_class,
            },
        )

    def llm_spent_since(self, since: float) -> float:
        """Cost of the calls since `since`: seeds the daily budget after a restart."""
        rows = self._rows("SELECT COALESCE(SUM(cost), 0) AS spent FROM llm_calls WHERE ts >= ?", (since,))
        return float(rows[0]["spent"])

    # samples ---------------------------------------------------------------------------------
    def record_samples(self, samples: list[Sample]) -> None:
        """One cycle's samples in one transaction (one statement, prepared once)."""
        rows = [(s.ts, s.check, s.target, int(s.ok), json.dumps(s.fields, default=str)) for s in samples]
        try:
            with self.conn:
                self.conn.executemany(
                    "INSERT INTO samples (ts, check_name, target, ok, fields) VALUES (?, ?, ?, ?, ?)", rows
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write samples: {exc}") from exc

    def prune_samples(self, older_than: float) -> int:
        try:
            with self.conn:
                return self.conn.execute("DELETE FROM samples WHERE ts < ?", (older_than,)).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"cannot prune samples: {exc}") from exc


def _names(table: str, row: dict[str, Any]) -> list[str]:
    """The column names of `row`, checked to be plain identifiers (they come from this package's
    code; values are always bound, never formatted into SQL)."""
    names = list(row)
    if not all(_IDENTIFIER.fullmatch(name) for name in [table, *names]):
        raise StoreError(f"not a plain column name in {table}: {names}")
    return names

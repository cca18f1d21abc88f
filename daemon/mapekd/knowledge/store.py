"""SqliteStore: the knowledge base in one SQLite file, written and read through sqlite-utils."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapekd.errors import StoreError
from mapekd.evidence.base import EvidenceItem
from mapekd.knowledge.approvals import ApprovalStore
from mapekd.knowledge.journal import Ids, Journal
from mapekd.knowledge.library import is_not_found
from mapekd.knowledge.migrate import apply_migrations
from mapekd.knowledge.opening import open_base
from mapekd.knowledge.queries import mapped
from mapekd.knowledge.recall import Recall
from mapekd.llm.types import CallRecord
from mapekd.model import Sample, Symptom
from mapekd.resources import migrations_dir

if TYPE_CHECKING:
    from sqlite_utils.db import Table

TABLES = frozenset(
    (
        "incidents",
        "symptoms",
        "decisions",
        "executions",
        "outcomes",
        "analyses",
        "llm_calls",
        "samples",
        "approvals",
        "evidence",
    )
)
"""The tables written here. sqlite-utils would create a table it does not find: a misspelt name
must be an error instead."""


class SqliteStore(Recall, ApprovalStore):
    """One connection, WAL, foreign keys on. Reads are made inline; writes go through a journal
    (knowledge/journal.py) that holds them in memory while the base cannot take them."""

    def __init__(self, path: str | Path, *, migrations: Path | None = None) -> None:
        self.path = Path(path)
        conn = open_base(self.path)
        super().__init__(conn)
        try:
            with mapped(f"cannot open knowledge base {self.path}"):
                apply_migrations(conn, migrations or migrations_dir())
                self.ids = Ids(self.db, TABLES)
            self.base_id = self._base_id()
        except StoreError:
            conn.close()
            raise
        self.journal = Journal(self.db)

    def wait_at_most(self, seconds: float) -> None:
        """How long a statement waits for a lock held by another process (the daemon's loop: a
        fraction of a second; past it a write is held in the journal, a read fails)."""
        with mapped("cannot set the busy timeout"):
            self.conn.execute(f"PRAGMA busy_timeout={int(seconds * 1000)}")

    def catch_up(self) -> int:
        """Writes held while the base was down, written now as far as it takes them."""
        return self.journal.catch_up()

    @property
    def degraded(self) -> str | None:
        """Why writes are held in memory (None: the base is taking them)."""
        return self.journal.degraded

    @property
    def journal_pending(self) -> int:
        """Writes held in memory now."""
        return self.journal.pending

    def close(self) -> None:
        self.conn.close()

    def _base_id(self) -> str:
        """This base's random id, written the first time this version opens it."""
        with mapped("cannot read the base id"):
            meta = self.db.table("meta")
            meta.insert({"key": "base_id", "value": uuid.uuid4().hex}, ignore=True)
            return str(meta.get("base_id")["value"])

    def _written(self, name: str) -> Table:
        if name not in TABLES:
            raise StoreError(f"not a knowledge table: {name!r}")
        return self._table(name)

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        written = self._written(table)
        row_id = self.ids.take(table)
        self.journal.write(table, lambda db: written.insert({"id": row_id, **row}))
        return row_id

    def _update(self, table: str, pk: int, values: dict[str, Any]) -> None:
        written = self._written(table)
        self.journal.write(table, lambda db: _update_existing(written, pk, values))

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

    def add_evidence(
        self,
        incident_id: int,
        items: Sequence[EvidenceItem],
        templates: Sequence[str],
        fingerprint: str | None,
        cause_templates: Sequence[str],
    ) -> None:
        """An incident's evidence (already redacted), each item with its template, and the cause
        fingerprint with the templates it was made of: one write, all of it or, held while the
        base is down, all of it later."""
        rows: list[Sequence[Any]] = [["incident_id", "kind", "source", "text", "at", "template"]]
        rows += [
            [incident_id, i.kind, i.source, i.text, i.at, t] for i, t in zip(items, templates, strict=True)
        ]
        evidence, incidents = self._written("evidence"), self._written("incidents")
        cause = {"fingerprint": fingerprint, "cause_templates": json.dumps(list(cause_templates))}

        def write(db: object) -> None:
            if len(rows) > 1:
                evidence.insert_all(rows)
            _update_existing(incidents, incident_id, cause)

        self.journal.write("evidence", write)

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
        with mapped("cannot reconcile executions"):
            return self.db.execute(
                "UPDATE executions SET state = 'interrupted', finished_at = ?, "
                "error = 'daemon stopped before the action completed' WHERE state = 'started'",
                (time.time(),),
            ).rowcount

    def request_approval(
        self,
        decision_id: int,
        incident_id: int,
        action: str,
        target: str,
        ttl: float,
        *,
        not_before: float | None = None,
        expires_at: float | None = None,
    ) -> int:
        now = time.time()
        return self._insert(
            "approvals",
            {
                "decision_id": decision_id,
                "incident_id": incident_id,
                "action": action,
                "target": target,
                "state": "pending",
                "requested_at": now,
                "expires_at": expires_at or now + ttl,
                "not_before": not_before,
            },
        )

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
        if not samples:
            return
        rows: list[Sequence[Any]] = [["ts", "check_name", "target", "ok", "fields"]]  # list mode
        rows += [[s.ts, s.check, s.target, int(s.ok), json.dumps(s.fields, default=str)] for s in samples]
        table = self._written("samples")
        self.journal.write("samples", lambda db: table.insert_all(rows))

    def prune_samples(self, older_than: float) -> int:
        with mapped("cannot prune samples"):
            return self.db.execute("DELETE FROM samples WHERE ts < ?", (older_than,)).rowcount


def _update_existing(table: Table, pk: int, values: dict[str, Any]) -> None:
    """An update of a row that must exist. sqlite3's own errors go up as they are: the journal
    tells an outage (held, retried) from a refusal by their type."""
    try:
        table.update(pk, values)
    except Exception as exc:
        if is_not_found(exc):
            raise StoreError(f"cannot update {table.name} {pk}: no such row") from exc
        raise

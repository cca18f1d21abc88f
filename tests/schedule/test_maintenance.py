"""The maintenance job, called with a time we give (never waiting for the cron): resolved
incidents older than knowledge.retention go with all their rows, open and recent ones stay;
finished API jobs and old samples go; the WAL is checkpointed; one failing step leaves the
others running."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.config.settings import Settings
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Sample
from mapekd.schedule.maintenance import run_maintenance
from tests.cli.kbdata import DAY, fill

HOUR = 3600.0


class Kb:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.now = fill(path)  # resolved incidents two days, one day and minutes old; open ones too
        self.store = SqliteStore(path)
        self.store.record_samples([Sample("host", "host", {"ok": True}, ts=self.now - 2 * HOUR)])
        self.store.record_samples([Sample("host", "host", {"ok": True}, ts=self.now - 60)])
        for job, finished in (("old", self.now - 2 * DAY), ("new", self.now - 60), ("queued", None)):
            self.store.conn.execute(
                "INSERT INTO jobs (id, state, owner, request, created_at, finished_at) "
                "VALUES (?, ?, 'ops', '{}', ?, ?)",
                (job, "queued" if finished is None else "completed", self.now - 3 * DAY, finished),
            )
        self.store.conn.commit()
        self.settings = Settings.model_validate(
            {
                "knowledge": {"path": str(path), "retention": "1d", "sample_retention": "1h"},
                "llm": {"embedded": False},
            }
        )

    def column(self, sql: str) -> list[object]:
        return [row[0] for row in self.store.conn.execute(sql)]


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[Kb]:
    made = Kb(tmp_path / "kb.db")
    yield made
    made.store.close()


async def test_prunes_what_is_past_retention_and_keeps_the_rest(kb: Kb) -> None:
    cutoff = kb.now - DAY
    old = kb.column(f"SELECT id FROM incidents WHERE status = 'resolved' AND resolved_at < {cutoff}")
    kept = kb.column(
        f"SELECT id FROM incidents WHERE NOT (status = 'resolved' AND resolved_at < {cutoff}) ORDER BY id"
    )
    assert len(old) == 2 and len(kept) == 6  # the history has both kinds

    results = await run_maintenance(kb.settings, kb.store, now=kb.now)

    assert kb.column("SELECT id FROM incidents ORDER BY id") == kept
    for table in ("symptoms", "decisions", "executions", "outcomes"):
        assert kb.column(f"SELECT COUNT(*) FROM {table} WHERE incident_id IN ({old[0]}, {old[1]})") == [0]
    assert kb.column("SELECT id FROM jobs ORDER BY id") == ["new", "queued"]  # api.jobs.retention 1d
    assert kb.column("SELECT ts FROM samples") == [kb.now - 60]
    assert results["incidents_pruned"] == 2 and results["jobs_pruned"] == 1 and results["samples_pruned"] == 1
    assert results["wal_checkpoint"] == "0 0 0"  # not busy, WAL emptied: nothing left to copy
    assert results["optimize"] == "ok" and isinstance(results["runbooks"], str)
    assert (kb.path.parent / "kb.db-wal").stat().st_size == 0


async def test_a_failing_step_is_logged_and_the_others_still_run(
    kb: Kb, caplog: pytest.LogCaptureFixture
) -> None:
    kb.store.conn.execute("DROP TABLE jobs")  # a broken table: its step fails
    kb.store.conn.commit()
    with caplog.at_level(logging.INFO, logger="mapekd.maintenance"):
        results = await run_maintenance(kb.settings, kb.store, now=kb.now)
    assert results["jobs_pruned"] is None
    assert results["incidents_pruned"] == 2 and results["samples_pruned"] == 1 and results["optimize"] == "ok"
    events = [getattr(r, "event", {}) for r in caplog.records]
    failed = [e for e in events if e.get("event") == "maintenance_failed"]
    assert [(e["step"], e["error"]) for e in failed] == [
        ("jobs_pruned", "StoreError: jobs: no such table: jobs")
    ]
    assert [e["incidents_pruned"] for e in events if e.get("event") == "maintenance"] == [2]

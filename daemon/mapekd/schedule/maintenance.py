"""The maintenance job (`knowledge.maintenance`, nightly by default): resolved incidents older
than `knowledge.retention` with all their rows, API jobs finished `api.jobs.retention` ago,
samples older than `knowledge.sample_retention`, a WAL checkpoint and `PRAGMA optimize`; first
the runbooks are reloaded. The database steps run in a worker thread on a connection of their own (the
loop goes on collecting and healing; prunes go in short batches so its writes wait little).
Each step that fails is logged and the others still run."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from mapekd.config.settings import Settings
from mapekd.knowledge.jobs import JobStore
from mapekd.knowledge.retention import prune
from mapekd.knowledge.runbooks import load_runbooks
from mapekd.knowledge.store import SqliteStore

log = logging.getLogger("mapekd.maintenance")
BUSY_TIMEOUT_MS = 10_000
Result = int | str | None


async def run_maintenance(
    settings: Settings, store: SqliteStore, now: float | None = None
) -> dict[str, Result]:
    """Every step once, for the time `now` (default: the current time); what each did, None for
    a step that failed."""
    at = time.time() if now is None else now
    runbooks = _step("runbooks", lambda: _reload_runbooks(store))  # before the WAL checkpoint
    results = {"runbooks": runbooks, **await asyncio.to_thread(_database_steps, store.path, settings, at)}
    log.info("maintenance done", extra={"event": {"event": "maintenance", **results}})
    return results


def _database_steps(path: Path, settings: Settings, now: float) -> dict[str, Result]:
    knowledge = settings.knowledge
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("PRAGMA foreign_keys=ON")  # the prune deletes children first, as it must
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        steps: dict[str, Callable[[], Result]] = {
            "incidents_pruned": lambda: prune(conn, now - knowledge.retention)["incidents"],
            "jobs_pruned": lambda: JobStore(conn).prune(
                now - settings.api.jobs.retention, settings.api.jobs.max_finished
            ),
            "samples_pruned": lambda: _prune_samples(conn, now - knowledge.sample_retention),
            "optimize": lambda: _pragma(conn, "optimize"),  # may write statistics: before the checkpoint
            "wal_checkpoint": lambda: _pragma(conn, "wal_checkpoint(TRUNCATE)"),
        }
        return {name: _step(name, run) for name, run in steps.items()}
    finally:
        conn.close()


def _prune_samples(conn: sqlite3.Connection, older_than: float) -> int:
    with conn:
        return conn.execute("DELETE FROM samples WHERE ts < ?", (older_than,)).rowcount


def _reload_runbooks(store: SqliteStore) -> str:
    loaded = load_runbooks(store)  # on the loop: the store's connection belongs to its thread
    return f"{loaded.inserted} inserted, {loaded.updated} updated, {loaded.removed} removed"


def _pragma(conn: sqlite3.Connection, pragma: str) -> str:
    rows = conn.execute(f"PRAGMA {pragma}").fetchall()  # pragma names come from this module only
    return "ok" if not rows else " ".join(str(v) for v in rows[0])


def _step(name: str, run: Callable[[], Result]) -> Result:
    try:
        return run()
    except Exception as exc:  # one broken step must not keep the others from running
        log.error(
            "maintenance step failed",
            extra={
                "event": {
                    "event": "maintenance_failed",
                    "step": name,
                    "error": f"{type(exc).__name__}: {exc}",
                }
            },
        )
        return None

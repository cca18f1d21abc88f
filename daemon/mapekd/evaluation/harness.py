"""One run: a real Engine on a real SQLite file over the processes of one World, cycling as the
daemon does (every interval, and at once when a watched process dies or a verification ends),
through a fault, until every incident it raised is settled or the deadline passes."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mapekd.config.settings import Settings
from mapekd.engine import Engine
from mapekd.evaluation.model import SharedModel
from mapekd.evaluation.scenarios import Scenario
from mapekd.evaluation.world import World, wait
from mapekd.knowledge.store import SqliteStore
from mapekd.shared_http import SharedHttp

SETTLED = ("resolved", "gave_up")
AGED = {
    "incidents": ("opened_at", "updated_at", "resolved_at", "gave_up_at"),
    "decisions": ("ts",),
    "executions": ("started_at", "finished_at"),
    "outcomes": ("ts",),
    "llm_calls": ("ts",),
}


@dataclass
class Run:
    world: World
    store: SqliteStore
    engine: Engine
    injected_at: float = 0.0
    cycles: int = 0
    timed_out: bool = False

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return list(self.store.db.query(sql, params))

    def busy(self) -> bool:
        healer = self.engine.healer
        # A resolution whose relapse watch still runs has no outcome yet: the knowledge a later
        # run learns from is written when the watch ends.
        watching = healer.story.relapses.tasks
        return bool(healer.planning.tasks or healer.analyzing.tasks or healer.verifier.tasks or watching)

    def unsettled(self) -> list[dict[str, Any]]:
        """Incidents since the fault that still wait for something: neither resolved, given up,
        nor decided for good (no action, escalated, waiting for an approval)."""
        rows = self.rows("SELECT id, status FROM incidents WHERE opened_at >= ?", (self.injected_at,))
        settled = self.engine.healer.settled
        return [r for r in rows if r["status"] not in SETTLED and r["id"] not in settled]

    def scored_decision(self, rule: str) -> dict[str, Any] | None:
        # A policy's no_action only says the incident is part of another's story (the same
        # service, a remedy's expected effect): the decision on the fault is made there.
        rows = self.rows(
            "SELECT d.* FROM decisions d JOIN incidents i ON i.id = d.incident_id "
            "WHERE i.rule = ? AND i.opened_at >= ? "
            "ORDER BY (d.source = 'policy' AND d.verdict = 'no_action'), d.id LIMIT 1",
            (rule, self.injected_at),
        )
        return rows[0] if rows else None

    def done(self, scenario: Scenario) -> bool:
        if scenario.rule is None or self.busy() or self.unsettled():
            return False
        return self.scored_decision(scenario.rule) is not None


async def drive(run: Run, interval: float, kick: asyncio.Event) -> None:
    while True:
        kick.clear()
        await run.engine.cycle()
        run.cycles += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(kick.wait(), interval)


async def until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return False


@dataclass(frozen=True)
class RunPlan:
    source: str
    config: dict[str, Any]
    """Every section but the scenario's checks, rules and actions."""
    deadline: float
    base_env: dict[str, str]
    """The environment handed to actions (as the daemon hands its own)."""


async def run_once(scenario: Scenario, plan: RunPlan, world: World, model: SharedModel) -> Run:
    """Set the scene, start the loop, inject the fault, wait until it is settled; the caller
    reads the knowledge base, then stops the world and closes the store."""
    await asyncio.to_thread(scenario.setup, world)
    settings = Settings.model_validate({**scenario.config(world), **plan.config})
    store = SqliteStore(settings.knowledge.path)
    planner, env, deadline = model.planner(plan.source, settings, store), plan.base_env, plan.deadline
    async with httpx.AsyncClient() as http:
        engine = Engine.build(settings, store, SharedHttp(http), dry_run=False, base_env=env, planner=planner)
        run = Run(world, store, engine)
        kick = asyncio.Event()
        engine.start_watching(lambda name: kick.set())
        driver = asyncio.create_task(drive(run, settings.daemon.interval, kick))
        try:
            await until(lambda: run.cycles >= 2, 30)  # baselines (e.g. cpu_percent) are taken
            run.injected_at = time.time()
            await asyncio.to_thread(scenario.inject, world)
            if scenario.rule is None:
                await asyncio.sleep(scenario.watch_s)
                run.timed_out = not await until(lambda: not run.busy(), deadline)
            else:
                run.timed_out = not await settled(run, scenario, deadline)
        finally:
            driver.cancel()
            engine.stop_watching()
            await engine.healer.drain(deadline)
    return run


async def settled(run: Run, scenario: Scenario, deadline: float) -> bool:
    """Settled, and for a scenario judged at its end still settled `watch_s` later (a fault that
    comes back within the rule's window opens a new incident meanwhile)."""
    started = time.monotonic()
    if not await until(lambda: run.done(scenario), deadline):
        return False
    if scenario.judge == "first":
        return True
    await asyncio.sleep(scenario.watch_s)
    return await until(lambda: run.done(scenario), max(1.0, deadline - (time.monotonic() - started)))


def healthy_now(run: Run, scenario: Scenario) -> bool:
    try:
        return bool(wait(lambda: scenario.healthy(run.world), timeout=2.0))
    except TimeoutError:
        return False


def retire(kb: Path, age_s: float) -> None:
    """Make a knowledge base history: every incident closed, everything dated `age_s` back, so
    that the action counter's window no longer counts it (as it would not count last week's
    actions) while the success rates per signature stay as they were."""
    now = time.time()
    with contextlib.closing(sqlite3.connect(kb)) as db, db:
        db.execute(
            "UPDATE incidents SET status = 'resolved', resolved_at = ?, updated_at = ? "
            "WHERE resolved_at IS NULL",
            (now, now),
        )
        for table, columns in AGED.items():
            sets = ", ".join(f"{c} = {c} - ?" for c in columns)
            # Names from AGED only, never from input.
            db.execute(f"UPDATE {table} SET {sets}", (age_s,) * len(columns))  # noqa: S608


def copy_kb(source: Path, dest: Path) -> None:
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(dest)) as out:
        src.backup(out)

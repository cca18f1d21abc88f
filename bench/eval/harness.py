"""One run: a real Engine on a real SQLite file over the processes of one World, cycling as the
daemon does (every interval, and at once when a watched process dies or a verification ends),
through a fault, until every incident it raised is settled or the deadline passes.

The in-process model is loaded once for the whole bench: one gateway, whose call records go to
the knowledge base of the run in progress (as the daemon's gateway stores them in its own)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client import CollectorRegistry

from eval.scenarios import Scenario
from eval.world import World, wait
from mapekd.config.loader import load_settings
from mapekd.config.settings import Settings
from mapekd.engine import Engine
from mapekd.knowledge.store import SqliteStore
from mapekd.llm.gateway import Gateway, build_gateway
from mapekd.llm.types import CallRecord
from mapekd.plan.llm_call import LLMCaller, call_tags
from mapekd.plan.llm_plan import LLMPlanner
from mapekd.prompting import Prompts, Redactor
from mapekd.reasoning import context_tokens, usable
from mapekd.shared_http import SharedHttp

SETTLED = ("resolved", "gave_up")
AGED = {
    "incidents": ("opened_at", "updated_at", "resolved_at", "gave_up_at"),
    "decisions": ("ts",),
    "executions": ("started_at", "finished_at"),
    "outcomes": ("ts",),
    "llm_calls": ("ts",),
}


class SharedModel:
    """The gateway (and so the loaded model) shared by the runs; records go to `store`."""

    def __init__(self, prompts: Path | None = None) -> None:
        self.prompts = prompts
        """Another directory of templates to evaluate (default: the shipped prompts/)."""
        self.gateway: Gateway | None = None
        self.store: SqliteStore | None = None

    def _sink(self, record: CallRecord) -> None:
        incident, template, version = call_tags.get()
        if self.store is not None:
            self.store.record_llm_call(record, incident_id=incident, template=template, version=version)

    def planner(self, settings: Settings, store: SqliteStore) -> LLMPlanner | None:
        if not usable(settings):
            return None
        if self.gateway is None:
            self.gateway = build_gateway(settings.llm, registry=CollectorRegistry(), sink=self._sink)
        self.store = store
        caller = LLMCaller(
            self.gateway,
            Prompts(self.prompts),
            Redactor.from_settings(settings),
            context_tokens=context_tokens(settings),
        )
        return LLMPlanner(caller, store, settings.llm)

    async def close(self) -> None:
        if self.gateway is not None:
            await self.gateway.close()


@dataclass
class Run:
    world: World
    store: SqliteStore
    engine: Engine
    injected_at: float = 0.0
    cycles: int = 0
    timed_out: bool = False

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return self.store._rows(sql, params)

    def busy(self) -> bool:
        healer = self.engine.healer
        return bool(healer.planning or healer.analyzing or healer.verifier.tasks)

    def unsettled(self) -> list[dict[str, Any]]:
        """Incidents since the fault that still wait for something: neither resolved, given up,
        nor decided for good (no action, escalated, waiting for an approval)."""
        rows = self.rows("SELECT id, status FROM incidents WHERE opened_at >= ?", (self.injected_at,))
        settled = self.engine.healer.settled
        return [r for r in rows if r["status"] not in SETTLED and r["id"] not in settled]

    def scored_decision(self, rule: str) -> dict[str, Any] | None:
        rows = self.rows(
            "SELECT d.* FROM decisions d JOIN incidents i ON i.id = d.incident_id "
            "WHERE i.rule = ? AND i.opened_at >= ? ORDER BY d.id LIMIT 1",
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


async def run_once(
    scenario: Scenario, config: dict[str, Any], world: World, model: SharedModel, deadline: float
) -> Run:
    """Set the scene, start the loop, inject the fault, wait until it is settled; the caller
    reads the knowledge base and then calls `finish`."""
    await asyncio.to_thread(scenario.setup, world)
    path = world.dir / "mapekd.yaml"
    path.write_text(yaml.safe_dump({**scenario.config(world), **config}))
    settings = load_settings(path, {})
    store = SqliteStore(settings.knowledge.path)
    planner, env = model.planner(settings, store), {"PATH": os.environ["PATH"]}
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
                run.timed_out = not await until(lambda: run.done(scenario), deadline)
        finally:
            driver.cancel()
            engine.stop_watching()
            await engine.healer.drain(deadline)
    return run


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
            db.execute(f"UPDATE {table} SET {sets}", (age_s,) * len(columns))


def copy_kb(source: Path, dest: Path) -> None:
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(dest)) as out:
        src.backup(out)

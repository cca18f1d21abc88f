"""The daemon's lifecycle: scheduled and event-driven collections, signals, reload, clean shutdown.

Each check group (the checks of one interval) is collected by its scheduler job; an event (a
watched process died, alerts were pushed, a verification ended unresolved) collects the check
that reported it at once. A group is never collected twice at once (GroupRun); groups run side
by side, each healing what its own rules found (one incident belongs to one rule, one rule to one
check: no incident is acted on by two collections at once)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Coroutine, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapekd.config.loader import load_settings, locate
from mapekd.config.settings import Settings
from mapekd.engine import Engine
from mapekd.errors import ConfigError
from mapekd.evidence.exits import ExitBook
from mapekd.knowledge.runbooks import load_runbooks
from mapekd.knowledge.store import SqliteStore
from mapekd.monitor.alerts import adopt_alerts
from mapekd.plan.enforcer import Enforcer
from mapekd.plan.policy import seeded_ledger
from mapekd.reasoning import CurrentGatewayMetrics, Reasoning
from mapekd.schedule.freshness import Freshness
from mapekd.schedule.gate import CollectionGate
from mapekd.schedule.groups import GroupRun, check_groups
from mapekd.schedule.maintenance import run_maintenance
from mapekd.service.capabilities import clear_ambient
from mapekd.service.link import ServiceLink
from mapekd.shared_http import SharedHttp

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from mapekd.api.hosting import HostedApi
    from mapekd.fleet.service import Fleet
    from mapekd.metrics import LoopMetrics
    from mapekd.model import FieldValue
    from mapekd.schedule.scheduler import Schedule

log = logging.getLogger("mapekd.daemon")
LOOP_BUSY_S = 0.25
"""How long the daemon's statements wait for a lock another process holds (`mapekd kb vacuum`)."""


class Daemon:
    def __init__(
        self,
        settings: Settings,
        *,
        config_path: Path | None,
        env: Mapping[str, str],
        base_env: Mapping[str, str],
        force_dry_run: bool = False,
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        self.env = env
        self.base_env = base_env
        self.force_dry_run = force_dry_run
        self._ready = False
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.groups = check_groups(settings)
        self._runs: dict[float, GroupRun] = {}
        self._first: set[float] = set(self.groups)
        """Groups not collected yet since the start: the daemon is ready once none is left."""
        self._gate = CollectionGate()
        self.schedule: Schedule | None = None
        self.serves_api = settings.api.enabled
        """Whether this run serves the HTTP API (decided at start: a reload does not start it)."""
        self.reasoning: Reasoning | None = None
        self.registry: CollectorRegistry | None = None
        self.metrics: LoopMetrics | None = None
        if self.serves_api:
            self.registry, self.metrics = self._metrics()
        self.freshness = Freshness()
        self.service = ServiceLink.from_env(env, freshness=self.freshness, pid=os.getpid())

    @property
    def dry_run(self) -> bool:
        return self.force_dry_run or self.settings.daemon.dry_run

    async def run(self, *, once: bool = False) -> int:
        clear_ambient()  # what the daemon runs inherits none of its capabilities
        store = SqliteStore(self.settings.knowledge.path)
        interrupted = store.reconcile_interrupted()
        if interrupted:
            log.warning(
                "reconciled executions interrupted by a previous stop",
                extra={"event": {"event": "reconciled", "executions": interrupted}},
            )
        load_runbooks(store)
        self.store, self.http = store, SharedHttp()
        self.ledger = seeded_ledger(store, self.settings.policy.window, time.time())
        # From now on the loop never waits long for the base: a write it cannot take at once
        # is held in memory (the store's journal), a read that cannot be made fails.
        store.wait_at_most(LOOP_BUSY_S)
        self.enforcer: Enforcer | None = None
        self.fleet: Fleet | None = None
        self.exits = ExitBook()
        """The watched processes' deaths, for the evidence; shared by every engine, like the enforcer."""
        try:
            self.fleet = self._start_fleet()
            self.engine, self.reasoning = self._build(self.settings)  # a ConfigError here: exit 2
            if once:
                await self._once()
                await self.engine.healer.drain(self.settings.daemon.shutdown_grace)
            else:
                await self._serve()
        finally:
            if self.fleet is not None:
                self.fleet.stop()
            if self.reasoning is not None:
                await self.reasoning.close()
            await self.http.aclose()
            store.close()
            self.service.close()
        return 0

    def _build(self, settings: Settings) -> tuple[Engine, Reasoning]:
        """The engine and the LLM side for `settings`, complete, or a ConfigError."""
        engine = self._build_engine(settings)
        reasoning = Reasoning.build(settings, self.store, serve_api=self.serves_api)
        engine.set_planner(reasoning.planner)
        return engine, reasoning

    def _build_engine(self, settings: Settings) -> Engine:
        try:
            engine = Engine.build(
                settings,
                self.store,
                self.http,
                dry_run=self.force_dry_run or settings.daemon.dry_run,
                base_env=self.base_env,
                metrics=self.metrics,
                enforcer=self.enforcer,
                exits=self.exits,
            )
        except ConfigError as exc:
            raise locate(exc, self.config_path) from exc
        if self.enforcer is None:  # the first engine's: every later one shares it
            fleet = self.fleet.view if self.fleet is not None else None
            self.enforcer = Enforcer(settings, engine.components.actions, self.ledger, fleet)
            engine.healer.use_enforcer(self.enforcer)
        engine.healer.fleet = self.fleet.view if self.fleet is not None else None
        return engine

    def _start_fleet(self) -> Fleet | None:
        """knowledge.fleet, started once (a reload keeps it): replication from its own thread."""
        config = self.settings.knowledge.fleet
        if config is None:
            return None
        from mapekd.fleet.service import Fleet  # psycopg only for a host in a fleet

        fleet = Fleet.start(config, Path(self.settings.knowledge.path))
        fleet.leases.fields_of = self._latest_fields
        return fleet

    def _latest_fields(self, target: str) -> Mapping[str, FieldValue]:
        """The newest sample of a target, whichever check reports it (an alert's labels make its
        fleet lease); read through the engine in force, whatever reloads came since."""
        engine = self.engine
        latest = (engine.history.latest(name, target) for name in engine.checks)
        return next((sample.fields for sample in latest if sample is not None), {})

    def _metrics(self) -> tuple[CollectorRegistry, LoopMetrics]:
        """The registry served at /metrics: the loop's metrics and the current gateway's (they
        live on its own registry, and a reload builds a new gateway). Nothing serves them
        without the API, so they are not kept without it."""
        from prometheus_client import CollectorRegistry

        from mapekd.metrics import LoopMetrics

        registry = CollectorRegistry()
        metrics = LoopMetrics(registry)
        registry.register(CurrentGatewayMetrics(lambda: self.reasoning))
        return registry, metrics

    async def _serve(self) -> None:
        from mapekd.schedule.scheduler import Schedule  # APScheduler only for a daemon that serves

        api = await self._start_api() if self.serves_api else None
        loop = asyncio.get_running_loop()
        self.engine.start_watching(self._kick, self._rerun)  # before the first collections arm them
        self.schedule = Schedule(self._scheduled, self._maintain)
        self.freshness.expect(self.groups)
        self.schedule.start(self.groups, self.settings.knowledge.maintenance)
        self.service.start_watchdog()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.service.reloading(self._reload())))
        log.info(
            "mapekd started",
            extra={
                "event": {
                    "event": "started",
                    "dry_run": self.dry_run,
                    "checks": len(self.settings.checks),
                    "rules": len(self.settings.rules),
                    "interval_s": self.settings.daemon.interval,
                    "groups": {f"{i:g}s": list(names) for i, names in self.groups.items()},
                    "event_loop": type(loop).__module__.partition(".")[0],
                }
            },
        )
        await self._stop.wait()
        await self.service.stopping()
        log.info("stopping", extra={"event": {"event": "stopping"}})
        if api is not None:
            await api.stop()
        self.schedule.pause()  # no new collection; those in flight (and their actions) may finish
        self.engine.stop_watching()
        await self._finish_in_flight()
        self.schedule.shutdown()

    async def _start_api(self) -> HostedApi:
        from mapekd.api.hosting import host_api  # the API's imports only when it is enabled
        from mapekd.daemon_view import DaemonView

        view = DaemonView(self)
        return await host_api(self.settings, self.store, view, gateways=view.gateway, registry=self.registry)

    async def _finish_in_flight(self) -> None:
        """Let the collections in flight (and the actions they run) finish within the grace
        period; what is still `started` after that is recorded as interrupted."""
        grace = self.settings.daemon.shutdown_grace
        if await self._gate.drain(grace):
            log.error(
                "in-flight action did not finish within the shutdown grace period; "
                "recording it as interrupted",
                extra={"event": {"event": "interrupted"}},
            )
        await self.engine.healer.drain(min(grace, 5.0))
        self.store.reconcile_interrupted()

    def _kick(self, check_name: str) -> None:
        """A watched check reported an event: collect it now (or right after its group's run)."""
        log.info("check reported an event", extra={"event": {"event": "check_event", "check": check_name}})
        self._spawn(self._collect_check(check_name))

    def _rerun(self, check_name: str) -> None:
        """Collect a check now, not for its own event: a verification ended unresolved, or a
        restarted process showed up (or died already)."""
        log.info("collecting a check now", extra={"event": {"event": "rerun", "check": check_name}})
        self._spawn(self._collect_check(check_name))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _run_of(self, interval: float) -> GroupRun:
        run = self._runs.get(interval)
        if run is None:
            run = self._runs[interval] = GroupRun(lambda names: self._collect_now(interval, names))
        return run

    async def _scheduled(self, interval: float) -> None:
        """A group's scheduler job. What it raises becomes the scheduler's job-error event."""
        await self._run_of(interval).run(self.groups.get(interval, ()))

    async def _collect_check(self, check_name: str) -> None:
        interval = next((i for i, names in self.groups.items() if check_name in names), None)
        if interval is not None:  # else a reload removed the check after its event
            await self._collect_logged(interval, (check_name,))

    async def _collect_logged(self, interval: float, names: Iterable[str]) -> None:
        """A collection outside the group's job: its failure is logged here, and the job
        collects the group again on time."""
        try:
            await self._run_of(interval).run(names)
        except Exception:
            log.exception(
                "collection failed", extra={"event": {"event": "collect_failed", "checks": list(names)}}
            )

    async def _once(self) -> None:
        try:
            await self.engine.cycle()
        except Exception:  # a cycle records its own errors; this is what escaped it
            log.exception("cycle failed", extra={"event": {"event": "cycle_failed"}})

    async def _collect_now(self, interval: float, names: frozenset[str]) -> None:
        async with self._gate.passage():
            if self._stop.is_set():
                return
            try:
                await self.engine.collect_group(names)
            except Exception:
                self.service.cycle_done(self.engine, failed=True)
                raise
        self.service.cycle_done(self.engine)
        if names.issuperset(self.groups.get(interval, ())):
            self.freshness.completed(interval)
            self._first.discard(interval)
        if not self._ready and not self._first:
            self._ready = True  # watches are armed: a crash from now on is seen at once
            log.info("first collection of every check done", extra={"event": {"event": "ready"}})
            self.service.ready()

    async def _maintain(self) -> None:
        await run_maintenance(self.settings, self.store)

    async def _retire(self, engine: Engine, reasoning: Reasoning | None) -> None:
        await engine.healer.drain(self.settings.daemon.shutdown_grace)
        if reasoning is not None:
            await reasoning.close()

    async def _reload(self) -> None:
        """Build the complete new engine first; swap only once it is built and no collection
        is in flight. Any failure leaves the old engine, its watches and its settings untouched."""
        try:
            settings = load_settings(self.config_path, self.env)
            engine, reasoning = self._build(settings)
        except Exception as exc:  # whatever fails, the running daemon stays as it is
            error = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            log.error(
                "reload failed; keeping the old configuration",
                extra={"event": {"event": "reload_failed", "error": error}},
            )
            return
        async with self._gate.closed():
            old, old_reasoning = self.engine, self.reasoning
            old.stop_watching()
            self.settings, self.engine, self.reasoning = settings, engine, reasoning
            assert self.enforcer is not None
            # From now on a remedy chosen by the old engine is checked against the new actions.
            self.enforcer.configure(settings, engine.components.actions)
            adopt_alerts(old.checks, engine.checks)
            engine.start_watching(self._kick, self._rerun)
            self.groups = check_groups(settings)
            self._first &= set(self.groups)
            self.freshness.expect(self.groups)
            if self.schedule is not None:
                self.schedule.apply(self.groups, settings.knowledge.maintenance)
        self._spawn(self._retire(old, old_reasoning))
        for interval, names in self.groups.items():  # every group at once: arm the new watches
            self._spawn(self._collect_logged(interval, names))
        log.warning(
            "configuration reloaded",
            extra={
                "event": {"event": "reloaded", "checks": len(settings.checks), "rules": len(settings.rules)}
            },
        )

"""The daemon's lifecycle: scheduled and event-driven cycles, signals, reload, clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapekd.config.loader import load_settings, locate
from mapekd.config.settings import Settings
from mapekd.engine import Engine
from mapekd.errors import ConfigError
from mapekd.knowledge.runbooks import load_runbooks
from mapekd.knowledge.store import SqliteStore
from mapekd.monitor.alerts import adopt_alerts
from mapekd.plan.enforcer import Enforcer
from mapekd.plan.policy import seeded_ledger
from mapekd.reasoning import CurrentGatewayMetrics, Reasoning
from mapekd.service.link import ServiceLink
from mapekd.shared_http import SharedHttp
from mapekd.ticker import Ticker

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from mapekd.api.hosting import HostedApi
    from mapekd.metrics import LoopMetrics

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
        self._lock = asyncio.Lock()
        self._again = False
        self._ready = False
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._current: asyncio.Task[object] | None = None
        self.serves_api = settings.api.enabled
        """Whether this run serves the HTTP API (decided at start: a reload does not start it)."""
        self.reasoning: Reasoning | None = None
        self.registry: CollectorRegistry | None = None
        self.metrics: LoopMetrics | None = None
        if self.serves_api:
            self.registry, self.metrics = self._metrics()
        self.service = ServiceLink.from_env(env, interval=settings.daemon.interval, pid=os.getpid())
        self.last_cycle_at: float | None = None

    @property
    def dry_run(self) -> bool:
        return self.force_dry_run or self.settings.daemon.dry_run

    async def run(self, *, once: bool = False) -> int:
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
        try:
            self.engine, self.reasoning = self._build(self.settings)  # a ConfigError here: exit 2
            if once:
                await self._cycle("once")
                await self.engine.healer.drain(self.settings.daemon.shutdown_grace)
            else:
                await self._serve()
        finally:
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
            )
        except ConfigError as exc:
            raise locate(exc, self.config_path) from exc
        if self.enforcer is None:  # the first engine's: every later one shares it
            self.enforcer = Enforcer(settings, engine.components.actions, self.ledger)
            engine.healer.use_enforcer(self.enforcer)
        return engine

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
        api = await self._start_api() if self.serves_api else None
        loop = asyncio.get_running_loop()
        ticker = Ticker(self._scheduled, self.settings.daemon.interval)
        self.engine.start_watching(self._kick, self._rerun)  # before the first cycle, which arms the watches
        ticker.start()
        self.service.start_watchdog()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        loop.add_signal_handler(
            signal.SIGHUP, lambda: self._spawn(self.service.reloading(self._reload(ticker)))
        )
        log.info(
            "mapekd started",
            extra={
                "event": {
                    "event": "started",
                    "dry_run": self.dry_run,
                    "checks": len(self.settings.checks),
                    "rules": len(self.settings.rules),
                    "interval_s": self.settings.daemon.interval,
                    "event_loop": type(loop).__module__.partition(".")[0],
                }
            },
        )
        await self._stop.wait()
        await self.service.stopping()
        log.info("stopping", extra={"event": {"event": "stopping"}})
        if api is not None:
            await api.stop()
        ticker.stop()  # no new cycle; the one in flight (and its action) may finish
        self.engine.stop_watching()
        await self._finish_in_flight()

    async def _start_api(self) -> HostedApi:
        from mapekd.api.daemon_view import DaemonView  # the API's imports only when it is enabled
        from mapekd.api.hosting import host_api

        view = DaemonView(self)
        return await host_api(self.settings, self.store, view, gateways=view.gateway, registry=self.registry)

    async def _finish_in_flight(self) -> None:
        """Let the in-flight cycle (and the action it runs) finish within the grace period;
        what is still `started` after that is recorded as interrupted."""
        grace = self.settings.daemon.shutdown_grace
        try:
            async with asyncio.timeout(grace):
                async with self._lock:
                    pass
        except TimeoutError:
            log.error(
                "in-flight action did not finish within the shutdown grace period; "
                "recording it as interrupted",
                extra={"event": {"event": "interrupted"}},
            )
            if self._current is not None:
                self._current.cancel()
                await asyncio.gather(self._current, return_exceptions=True)
        await self.engine.healer.drain(min(grace, 5.0))
        self.store.reconcile_interrupted()

    def _kick(self, check_name: str) -> None:
        """A watched check reported an event: run a cycle now (or right after the current one)."""
        log.info("check reported an event", extra={"event": {"event": "check_event", "check": check_name}})
        self._spawn(self._cycle(f"event:{check_name}"))

    def _rerun(self, check_name: str) -> None:
        """A cycle now, not for a check's event: a verification ended unresolved, or a restarted
        process showed up (or died already)."""
        log.info("running a cycle now", extra={"event": {"event": "rerun", "check": check_name}})
        self._spawn(self._cycle(f"rerun:{check_name}"))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _cycle(self, reason: str) -> None:
        if self._lock.locked():
            self._again = True  # coalesce: one more cycle after the current one
            return
        async with self._lock:
            self._current = asyncio.current_task()
            while True:
                self._again = False
                try:
                    await self.engine.cycle()
                    self.service.cycle_done(self.engine)
                    self.last_cycle_at = time.time()
                except Exception:  # a cycle records its own errors; the loop goes on
                    log.exception("cycle failed", extra={"event": {"reason": reason}})
                    self.service.cycle_done(self.engine, failed=True)
                except asyncio.CancelledError:
                    if not self._stop.is_set():
                        raise
                    return  # cancelled by shutdown on purpose; the action is recorded
                if not self._ready:
                    self._ready = True  # watches are armed: a crash from now on is seen at once
                    log.info("first cycle done", extra={"event": {"event": "ready"}})
                    self.service.ready()
                if not self._again or self._stop.is_set():
                    break
            self._current = None

    async def _retire(self, engine: Engine, reasoning: Reasoning | None) -> None:
        await engine.healer.drain(self.settings.daemon.shutdown_grace)
        if reasoning is not None:
            await reasoning.close()

    def _scheduled(self) -> None:
        """A scheduled cycle, skipped while a cycle runs (an event-driven one, or a slow one)."""
        if not self._lock.locked():
            self._spawn(self._cycle("schedule"))

    async def _reload(self, ticker: Ticker) -> None:
        """Build the complete new engine first; swap only once it is built. Any failure leaves
        the old engine, its watches and its settings untouched."""
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
        async with self._lock:
            old = self.engine
            old.stop_watching()
            self.settings, self.engine = settings, engine
            old_reasoning, self.reasoning = self.reasoning, reasoning
            assert self.enforcer is not None
            # From now on a remedy chosen by the old engine is checked against the new actions.
            self.enforcer.configure(settings, engine.components.actions)
            adopt_alerts(old.checks, engine.checks)
            engine.start_watching(self._kick, self._rerun)
            ticker.reschedule(settings.daemon.interval)
        self._spawn(self._retire(old, old_reasoning))
        self._spawn(self._cycle("reload"))  # arm the new watches at once
        log.warning(
            "configuration reloaded",
            extra={
                "event": {"event": "reloaded", "checks": len(settings.checks), "rules": len(settings.rules)}
            },
        )

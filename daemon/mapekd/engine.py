"""One turn of the MAPE-K loop: collect, analyze, plan and execute, over the knowledge base."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

import httpx

from mapekd.analyze.history import History
from mapekd.analyze.incidents import IncidentTracker
from mapekd.analyze.rules.base import Rule
from mapekd.analyze.rules.registry import build_rule, lookback
from mapekd.config.settings import Settings
from mapekd.execute.registry import ActionDeps, build_action
from mapekd.heal import Healer
from mapekd.knowledge.store import SqliteStore
from mapekd.metrics import LoopMetrics
from mapekd.model import Sample
from mapekd.monitor.base import Check, Watcher, collect_safely
from mapekd.monitor.process import ProcessCheck
from mapekd.monitor.registry import build_check

log = logging.getLogger("mapekd.engine")
PRUNE_EVERY_S = 300.0


class Engine:
    def __init__(
        self,
        settings: Settings,
        store: SqliteStore,
        http: httpx.AsyncClient,
        *,
        dry_run: bool,
        base_env: Mapping[str, str],
        metrics: LoopMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.checks: dict[str, Check] = {c.name: build_check(c, http=http) for c in settings.checks}
        self.timeouts = {c.name: c.timeout for c in settings.checks}
        self.rules: list[Rule] = [build_rule(r) for r in settings.rules]
        self.history = History(lookback(settings.rules), started_at=time.time())
        self.tracker = IncidentTracker(store)
        deps = ActionDeps(http=http, base_env=base_env, pids_of=self.pids_of)
        actions = {a.name: build_action(a, deps) for a in settings.actions}
        self.healer = Healer(
            settings, store, self.tracker, actions, self.recheck, dry_run=dry_run, metrics=metrics
        )
        self._last_prune = 0.0

    def start_watching(self, notify: Callable[[str], None]) -> None:
        for check in self.checks.values():
            if isinstance(check, Watcher):
                check.start_watching(notify)

    def stop_watching(self) -> None:
        for check in self.checks.values():
            if isinstance(check, Watcher):
                check.stop_watching()

    async def cycle(self) -> None:
        """Collect every check, evaluate every rule, act on what needs acting. Never raises for
        a single broken part: a failing check is an error sample, a failing incident is logged."""
        started = time.perf_counter()
        results = await asyncio.gather(*(collect_safely(c, self.timeouts[n]) for n, c in self.checks.items()))
        samples = [s for batch in results for s in batch]
        now = time.time()
        self.history.add(samples)
        self.history.prune(now)
        if self.settings.knowledge.record_samples:
            self.store.record_samples(samples)
        await self._analyze_and_heal(now)
        self._prune_knowledge(now)
        if self.metrics is not None:
            self.metrics.cycle_done(time.perf_counter() - started, samples)
            self.metrics.open_incidents(self.store.active_incidents())

    async def _analyze_and_heal(self, now: float) -> None:
        work = []
        for rule in self.rules:
            result = rule.evaluate(self.history, now)
            for incident in self.tracker.update(rule, result, now):
                work.append(self.healer.handle(incident, rule, now))
        outcomes = await asyncio.gather(*work, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                log.error("healing failed", exc_info=outcome)

    async def recheck(self, check_name: str, target: str) -> Sample | None:
        """A fresh sample of `target` from its check (verification after an action)."""
        samples = await collect_safely(self.checks[check_name], self.timeouts[check_name])
        self.history.add(samples)
        if target == f"check:{check_name}":
            return samples[0] if samples else None
        return next((s for s in samples if s.target == target), None)

    async def pids_of(self, check_name: str) -> list[int]:
        check = self.checks[check_name]  # config validation guarantees a process check
        return await check.matching_pids() if isinstance(check, ProcessCheck) else []

    def _prune_knowledge(self, now: float) -> None:
        if now - self._last_prune < PRUNE_EVERY_S:
            return
        self._last_prune = now
        removed = self.store.prune_samples(now - self.settings.knowledge.sample_retention)
        if removed:
            log.debug("pruned samples", extra={"event": {"removed": removed}})

"""One turn of the MAPE-K loop: collect, analyze, plan and execute, over the knowledge base."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from mapekd.analyze.history import History
from mapekd.analyze.incidents import ActiveIncident, IncidentTracker
from mapekd.analyze.rules.base import Rule
from mapekd.analyze.rules.registry import lookback
from mapekd.assemble import Components, assemble
from mapekd.config.settings import Settings
from mapekd.evidence.exits import ExitBook
from mapekd.evidence.registry import gatherers_for
from mapekd.heal import Healer
from mapekd.knowledge.base import Store
from mapekd.model import Sample
from mapekd.monitor.base import Closeable, ProcessWatcher, TargetSampler, Watcher, collect_all, collect_safely
from mapekd.plan.approval_gate import ApprovalGate
from mapekd.plan.enforcer import Enforcer
from mapekd.shared_http import SharedHttp
from mapekd.situation import Situation, watched_pids

if TYPE_CHECKING:
    from mapekd.metrics import LoopMetrics
    from mapekd.plan.llm_plan import LLMPlanner

log = logging.getLogger("mapekd.engine")
SITUATION_SAMPLES = 20
REARM_WINDOW_S = 10.0
"""After an action, how long a dead watched process is looked for (see ProcessWatcher.await_restart)."""


class Engine:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        components: Components,
        *,
        dry_run: bool,
        planner: LLMPlanner | None = None,
        metrics: LoopMetrics | None = None,
        enforcer: Enforcer | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.components = components
        self.checks = components.checks
        self.timeouts = {c.name: c.timeout for c in settings.checks}
        self.rules = components.rules
        self.history = History(lookback(settings.rules), started_at=time.time())
        self.tracker = IncidentTracker(store)
        self.metrics = metrics
        self.healer = Healer(
            settings,
            store,
            self.tracker,
            components.actions,
            self.recheck,
            dry_run=dry_run,
            before_action=self._expect_restarts,
            planner=planner,
            situation_of=self.situation_of,
            metrics=metrics,
            enforcer=enforcer,
            gatherers_for=partial(gatherers_for, checks=components.checks, exits=components.exits),
        )
        self.approvals = ApprovalGate(self.healer, {r.name: r for r in self.rules})
        self.healer.on_approval_requested = self.approvals.wake
        self._gate: asyncio.Task[None] | None = None
        self._rerun: Callable[[str], None] | None = None
        self._rearming: dict[str, asyncio.Task[None]] = {}

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: Store,
        http: SharedHttp,
        *,
        dry_run: bool,
        base_env: Mapping[str, str],
        planner: LLMPlanner | None = None,
        metrics: LoopMetrics | None = None,
        enforcer: Enforcer | None = None,
        exits: ExitBook | None = None,
    ) -> Engine:
        """Assemble every part first (raises ConfigError); nothing runs until start_watching.
        `enforcer`: the daemon's, shared by every engine it builds (its counts outlive a reload)."""
        components = assemble(settings, http=http, base_env=base_env, exits=exits)
        return cls(
            settings, store, components, dry_run=dry_run, planner=planner, metrics=metrics, enforcer=enforcer
        )

    def set_planner(self, planner: LLMPlanner | None) -> None:
        self.healer.planner = self.healer.decider.planner = planner

    def start_watching(
        self, on_event: Callable[[str], None], rerun: Callable[[str], None] | None = None
    ) -> None:
        """`on_event(check)`: a check reported an event. `rerun(why)`: run a cycle now for another
        reason (a verification ended unresolved, a restarted process was found)."""
        self._rerun = rerun or on_event
        self._gate = asyncio.ensure_future(self.approvals.run())
        self.healer.on_settled = self._rerun

        def check_event(name: str) -> None:
            # A process watcher's event is its process's death: if an action just (re)started it,
            # its incident's settle wait ends now (not resolved), so it is acted on again at once.
            check = self.checks[name]
            if isinstance(check, ProcessWatcher):
                self.healer.settle_now(name, check.watched_since)
            on_event(name)

        for check in self.checks.values():
            if isinstance(check, Watcher):
                check.start_watching(check_event)

    def stop_watching(self) -> None:
        self._rerun = None
        if self._gate is not None:
            self._gate.cancel()
        for task in self._rearming.values():
            task.cancel()
        for check in self.checks.values():
            if isinstance(check, Watcher):
                check.stop_watching()
            if isinstance(check, Closeable):
                check.close()

    async def cycle(self) -> None:
        """Collect every check, evaluate every rule, act on what needs acting (`run --once`)."""
        await self.collect_group(self.checks.keys())

    async def collect_group(self, check_names: Collection[str]) -> None:
        """Collect these checks (together), evaluate only the rules on them, act on what needs
        acting. Names no longer configured (a reload removed them) are ignored. Never raises for
        a single broken part: a failing check is an error sample, a failing incident is logged."""
        started = time.perf_counter()
        self.store.catch_up()  # writes held while the base was down, as far as it takes them
        checks = {name: check for name, check in self.checks.items() if name in check_names}
        self.components.table.invalidate()
        samples = await collect_all(checks, self.timeouts)
        now = time.time()
        self.history.add(samples)
        self.history.prune(now)
        if self.settings.knowledge.record_samples:
            self.store.record_samples(samples)
        await self._analyze_and_heal([r for r in self.rules if r.check in checks], now)
        if self.metrics is not None:
            self.metrics.cycle_done(time.perf_counter() - started, [*samples, *self._latest_besides(checks)])
            self.metrics.open_incidents(self.tracker.active_count())

    def _latest_besides(self, collected: Collection[str]) -> list[Sample]:
        """The latest sample of every target of the checks not collected now: the metrics of
        the loop show every check's state, not only the group's."""
        history = self.history
        latest = (
            history.latest(name, target)
            for name in self.checks
            if name not in collected
            for target in history.targets(name)
        )
        return [s for s in latest if s is not None]

    async def _analyze_and_heal(self, rules: Iterable[Rule], now: float) -> None:
        work = []
        for rule in rules:
            result = rule.evaluate(self.history, now)
            for incident in self.tracker.update(rule, result, now):
                work.append(self.healer.handle(incident, rule, now))
        outcomes = await asyncio.gather(*work, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                log.error("healing failed", exc_info=outcome)

    async def recheck(self, check_name: str, target: str) -> Sample | None:
        """A fresh sample of `target` from its check (verification after an action)."""
        check = self.checks[check_name]
        if isinstance(check, TargetSampler):  # one target's own sample, not the whole check's
            own = check.sample_of(target)
            self.history.add([own] if own is not None else [])
            return own
        self.components.table.invalidate()
        samples = await collect_safely(self.checks[check_name], self.timeouts[check_name])
        self.history.add(samples)
        if target == f"check:{check_name}":
            return samples[0] if samples else None
        return next((s for s in samples if s.target == target), None)

    def situation_of(self, incident: ActiveIncident, rule: Rule) -> Situation:
        """What the prompts see of an incident: its symptom and the recent history of its target."""
        sym = incident.symptom
        samples = list(self.history.series(rule.check, sym.target))[-SITUATION_SAMPLES:]
        cause = self.healer.causes.known(incident.id)
        return Situation(
            incident.id,
            sym.signature,
            rule.name,
            rule.check,
            sym.target,
            sym.severity,
            sym.message,
            dict(sym.fields),
            incident.opened_at,
            samples,
            rule.situation_facts(sym),
            self._watched_pids(),
            cause.evidence,
            cause.fingerprint,
            cause.classified.cause if cause.classified else None,
            cause.classified.cited if cause.classified else (),
        )

    def _watched_pids(self) -> frozenset[int]:
        latest = (
            self.history.latest(name, target)
            for name in self.checks
            for target in self.history.targets(name)
            if target.startswith("process:")
        )
        return watched_pids(s for s in latest if s is not None)

    def _expect_restarts(self) -> None:
        """An action is about to run: it may (re)start a watched process. Look for each dead one
        so its watch is armed the moment it exists, not at the next collection."""
        for name, check in self.checks.items():
            if not isinstance(check, ProcessWatcher) or not check.watching or name in self._rearming:
                continue
            if check.last_alive:
                continue
            task = asyncio.create_task(self._rearm(name, check))
            self._rearming[name] = task

    async def _rearm(self, name: str, check: ProcessWatcher) -> None:
        try:
            if await check.await_restart(REARM_WINDOW_S) and self._rerun is not None:
                if check.last_alive is False:
                    self.healer.settle_now(name, time.time())  # the new instance died already
                self._rerun(name)
        finally:
            self._rearming.pop(name, None)

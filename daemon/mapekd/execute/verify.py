"""Verification after an action: wait for the action's settle time, re-check the rule on a fresh
sample, record the outcome. One verification per incident at a time.

The settle wait ends early when the watched process that the action started is seen dying
already (`settle_now`), and an incident that resolved meanwhile (its rule cleared) is resolved by
the action. A resolution is then watched for a relapse (execute/relapse.py) before its outcome is
recorded. When a verification ends unresolved, `on_settled` runs a cycle at once, so that the
incident is acted on again without waiting for the next scheduled cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mapekd.analyze.incidents import ActiveIncident, IncidentTracker
from mapekd.analyze.rules.base import Rule
from mapekd.execute.base import ExecResult
from mapekd.execute.records import judge
from mapekd.execute.relapse import RelapseWatch
from mapekd.knowledge.base import Store
from mapekd.model import Sample

log = logging.getLogger("mapekd.decision")
Recheck = Callable[[str, str], Awaitable[Sample | None]]
"""(check name, target) -> a fresh sample of that target, for verification."""
Outcome = Callable[[ActiveIncident, int, str, str], None]
"""(incident, decision id, outcome, detail): told of every outcome recorded."""


@dataclass
class Pending:
    decision_id: int
    execution_id: int
    check: str
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.time)
    """When the action started: a resolution before it is not the action's doing."""


class Verifier:
    def __init__(
        self,
        store: Store,
        tracker: IncidentTracker,
        recheck: Recheck,
        *,
        dry_run: bool,
        on_outcome: Outcome,
        relapses: RelapseWatch | None = None,
    ) -> None:
        self.relapses = relapses
        """Watches a resolution for a relapse before recording it; None: recorded at once."""
        self.store = store
        self.tracker = tracker
        self.recheck = recheck
        self.dry_run = dry_run
        self.on_outcome = on_outcome
        self.on_settled: Callable[[str], None] | None = None
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self._pending: dict[int, Pending] = {}
        self._deaths: dict[str, float] = {}
        """check -> since when the latest instance seen dying had been watched."""

    def busy(self, incident_id: int) -> bool:
        return incident_id in self.tasks

    def execution_of(self, incident_id: int) -> int | None:
        """The execution being verified for this incident, if any."""
        pending = self._pending.get(incident_id)
        return None if pending is None else pending.execution_id

    def start(
        self, incident: ActiveIncident, rule: Rule, pending: Pending, result: ExecResult | None, settle: float
    ) -> None:
        self._pending[incident.id] = pending
        failed = result is not None and result.state != "succeeded"
        if failed or self._deaths.get(pending.check, float("-inf")) >= pending.started:
            pending.settled.set()  # nothing to settle: judged at once
        self.tasks[incident.id] = asyncio.create_task(self._verify(incident, rule, pending, result, settle))

    def settle_now(self, check: str, watched_since: float) -> None:
        """The process watched by `check` since `watched_since` (time.time()) died: end the settle
        wait of the incidents whose action started before that instance was first seen (the
        instance the action started died). The death of an instance older than the action (the
        one a restart stops) ends nothing. Remembered for a verification that starts later: the
        action may still be running when its new instance dies."""
        self._deaths[check] = max(watched_since, self._deaths.get(check, float("-inf")))
        for pending in self._pending.values():
            if pending.check == check and pending.started <= watched_since:
                pending.settled.set()

    async def _verify(
        self, incident: ActiveIncident, rule: Rule, pending: Pending, result: ExecResult | None, settle: float
    ) -> None:
        outcome = None
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pending.settled.wait(), settle)
            outcome, detail = await self._judge(incident, rule, result, pending)

            def record(outcome: str, detail: str) -> None:
                self._record(incident, pending, outcome, detail)

            if outcome != "resolved":
                record(outcome, detail)
            else:
                self.tracker.resolve_incident(incident.id, time.time(), reason="verified after action")
                if self.relapses is None or not self.relapses.watch(incident, detail, record):
                    record(outcome, detail)
        finally:
            self.tasks.pop(incident.id, None)
            self._pending.pop(incident.id, None)
        if outcome not in (None, "resolved") and self.on_settled is not None:
            self.on_settled(rule.check)

    def _record(self, incident: ActiveIncident, pending: Pending, outcome: str, detail: str) -> None:
        self.store.record_outcome(pending.execution_id, incident.id, outcome, detail)
        log.warning(
            "healing outcome",
            extra={
                "event": {
                    "event": "outcome",
                    "incident": incident.id,
                    "decision": pending.decision_id,
                    "signature": incident.symptom.signature,
                    "outcome": outcome,
                    "detail": detail,
                    "dry_run": self.dry_run,
                }
            },
        )
        self.on_outcome(incident, pending.decision_id, outcome, detail)

    async def _judge(
        self, incident: ActiveIncident, rule: Rule, result: ExecResult | None, pending: Pending
    ) -> tuple[str, str]:
        resolved_at = self.tracker.resolved_at(incident.id)
        if (
            result is not None
            and result.state == "succeeded"
            and resolved_at is not None
            and resolved_at >= pending.started
        ):
            return "resolved", "rule cleared within the settle time"
        sample = await self.recheck(rule.check, incident.symptom.target)
        holds = rule.holds_now(sample) if sample is not None else None
        return judge(result, holds)

    async def drain(self, timeout: float) -> None:
        """Wait for verifications in flight (shutdown), cancelling what is left after timeout."""
        tasks = list(self.tasks.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
        if self.relapses is not None:
            await self.relapses.drain(timeout)

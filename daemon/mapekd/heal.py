"""Plan and Execute for one incident: candidates, policy, choice, execution, verification."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mapekd.analyze.incidents import ActiveIncident, IncidentTracker
from mapekd.analyze.rules.base import Rule
from mapekd.config.settings import Settings
from mapekd.errors import ActionError
from mapekd.execute.base import Action, ActionRequest, ExecResult
from mapekd.execute.params import build_params
from mapekd.execute.records import decision_event, finished_row, judge
from mapekd.knowledge.store import SqliteStore
from mapekd.metrics import LoopMetrics
from mapekd.model import Sample
from mapekd.plan.escalation import Escalation
from mapekd.plan.planner import Choice, choose_remedy
from mapekd.plan.policy import Counter, Policy

log = logging.getLogger("mapekd.decision")
Recheck = Callable[[str, str], Awaitable[Sample | None]]
"""(check name, target) -> a fresh sample of that target, for verification."""


@dataclass
class Pending:
    decision_id: int
    execution_id: int


class Healer:
    def __init__(
        self,
        settings: Settings,
        store: SqliteStore,
        tracker: IncidentTracker,
        actions: dict[str, Action],
        recheck: Recheck,
        *,
        dry_run: bool,
        metrics: LoopMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.tracker = tracker
        self.actions = actions
        self.recheck = recheck
        self.dry_run = dry_run
        self.metrics = metrics
        self.policy = Policy(settings.policy, store)
        self.escalation = Escalation(
            settings.policy.escalate, store, actions, dry_run=dry_run, metrics=metrics
        )
        self.verifying: dict[int, asyncio.Task[None]] = {}
        self._no_remedy_logged: set[int] = set()

    async def handle(self, incident: ActiveIncident, rule: Rule, now: float) -> None:
        if incident.status == "gave_up" or incident.id in self.verifying:
            return
        target = incident.symptom.target
        candidates = [n for n in rule.remedies if self.actions[n].applies_to(target)]
        if not candidates:
            self._log_no_remedy(incident)
            return
        verdict, counter = self.policy.verdict(target, now)
        if verdict == "cooldown":
            return
        if verdict == "give_up":
            await self.escalation.give_up(incident, candidates, counter)
            return
        choice = choose_remedy(
            candidates,
            incident.symptom.signature,
            self.store,
            prefer_knowledge=self.settings.policy.prefer_knowledge,
        )
        if choice is not None:
            await self._act(incident, rule, choice, counter)

    async def _act(self, incident: ActiveIncident, rule: Rule, choice: Choice, counter: Counter) -> None:
        symptom = incident.symptom
        action_cfg = self.settings.action(choice.action)
        try:
            params = build_params(
                incident_id=incident.id,
                rule=rule.name,
                check=rule.check,
                target=symptom.target,
                fields=symptom.fields,
            )
        except ActionError as exc:
            self._refuse(incident, choice, str(exc))
            return
        verdict = "would_execute" if self.dry_run else "execute"
        decision = {
            "incident_id": incident.id,
            "ts": time.time(),
            "verdict": verdict,
            "action": choice.action,
            "target": symptom.target,
            "params": params,
            "candidates": choice.candidates,
            "source": choice.source,
            "risk": action_cfg.risk,
            "confidence": choice.confidence,
            "reason": choice.reason,
            "dry_run": self.dry_run,
        }
        decision_id = self.store.record_decision(decision)
        if self.metrics is not None:
            self.metrics.decision(choice.source, verdict)
        log.warning(
            "healing decision", extra={"event": decision_event(decision, decision_id, incident, counter)}
        )
        execution_id = self.store.start_execution(
            {
                "decision_id": decision_id,
                "incident_id": incident.id,
                "action": choice.action,
                "target": symptom.target,
                "started_at": time.time(),
                "state": "would_execute" if self.dry_run else "started",
            }
        )
        try:
            result = await self._execute(choice.action, incident, params)
        except asyncio.CancelledError:
            self.store.finish_execution(
                execution_id,
                {
                    "state": "interrupted",
                    "finished_at": time.time(),
                    "error": "daemon stopped before the action completed",
                },
            )
            raise
        self.store.finish_execution(execution_id, finished_row(result))
        if self.metrics is not None:
            self.metrics.execution(choice.action, result.state if result else "would_execute")
        self.verifying[incident.id] = asyncio.create_task(
            self._verify(incident, rule, Pending(decision_id, execution_id), result, action_cfg.settle)
        )

    async def _execute(
        self, name: str, incident: ActiveIncident, params: dict[str, str]
    ) -> ExecResult | None:
        if self.dry_run:
            return None
        request = ActionRequest(incident.id, incident.symptom.signature, incident.symptom.target, params)
        try:
            return await self.actions[name].run(request)
        except ActionError as exc:
            return ExecResult("failed", 0.0, error=str(exc))

    async def _verify(
        self, incident: ActiveIncident, rule: Rule, pending: Pending, result: ExecResult | None, settle: float
    ) -> None:
        try:
            await asyncio.sleep(settle)
            sample = await self.recheck(rule.check, incident.symptom.target)
            holds = rule.holds_now(sample) if sample is not None else None
            outcome, detail = judge(result, holds)
            self.store.record_outcome(pending.execution_id, incident.id, outcome, detail)
            if self.metrics is not None:
                self.metrics.outcome(rule.name, outcome, time.time() - incident.opened_at)
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
            if outcome == "resolved":
                self.tracker.resolve_incident(incident.id, time.time(), reason="verified after action")
        finally:
            self.verifying.pop(incident.id, None)

    def _refuse(self, incident: ActiveIncident, choice: Choice, reason: str) -> None:
        decision = {
            "incident_id": incident.id,
            "ts": time.time(),
            "verdict": "refused",
            "action": choice.action,
            "target": incident.symptom.target,
            "candidates": choice.candidates,
            "source": "policy",
            "reason": reason,
            "dry_run": self.dry_run,
        }
        self.store.record_decision(decision)
        if self.metrics is not None:
            self.metrics.decision("policy", "refused")
        log.error("decision refused", extra={"event": {**decision, "event": "decision"}})

    def _log_no_remedy(self, incident: ActiveIncident) -> None:
        if incident.id not in self._no_remedy_logged:
            self._no_remedy_logged.add(incident.id)
            log.warning(
                "no applicable remedy",
                extra={
                    "event": {
                        "event": "no_remedy",
                        "incident": incident.id,
                        "signature": incident.symptom.signature,
                    }
                },
            )

    async def drain(self, timeout: float) -> None:
        """Wait for verifications in flight (shutdown), cancelling what is left after timeout."""
        tasks = list(self.verifying.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()

"""Plan and Execute for one incident: candidates, policy, choice, execution, verification."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from mapekd.analyze.incidents import ActiveIncident, IncidentTracker
from mapekd.analyze.rules.base import Rule
from mapekd.config.settings import Settings
from mapekd.errors import ActionError
from mapekd.execute.actions.webhook import WebhookAction
from mapekd.execute.base import Action, ActionRequest, ExecResult
from mapekd.execute.params import build_params
from mapekd.execute.records import decision_event, finished_row
from mapekd.execute.verify import Pending, Recheck, Verifier
from mapekd.knowledge.store import SqliteStore
from mapekd.notify.dispatcher import Notifier
from mapekd.notify.notice import Notice
from mapekd.plan.escalation import Escalation
from mapekd.plan.planner import Choice, choose_remedy
from mapekd.plan.policy import Counter, Policy

log = logging.getLogger("mapekd.decision")


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
        before_action: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.tracker = tracker
        self.actions = actions
        self.dry_run = dry_run
        self.before_action = before_action
        self.policy = Policy(settings.policy, store)
        sinks = {n: a for n, a in actions.items() if isinstance(a, WebhookAction)}
        self.notifier = Notifier(
            settings.notifications, settings.policy.escalate, sinks, store, dry_run=dry_run
        )
        self.escalation = Escalation(store, self.notifier, dry_run=dry_run)
        self.verifier = Verifier(store, tracker, recheck, dry_run=dry_run, on_outcome=self._on_outcome)
        self._no_remedy_logged: set[int] = set()
        tracker.on_resolved = self._on_resolved

    @property
    def on_settled(self) -> Callable[[str], None] | None:
        return self.verifier.on_settled

    @on_settled.setter
    def on_settled(self, kick: Callable[[str], None] | None) -> None:
        self.verifier.on_settled = kick

    def settle_now(self, check: str) -> None:
        self.verifier.settle_now(check)

    async def handle(self, incident: ActiveIncident, rule: Rule, now: float) -> None:
        if incident.status == "gave_up" or self.verifier.busy(incident.id):
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
            self.escalation.give_up(incident, candidates, counter)
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
        self.verifier.start(
            incident, rule, Pending(decision_id, execution_id, rule.check), result, action_cfg.settle
        )

    async def _execute(
        self, name: str, incident: ActiveIncident, params: dict[str, str]
    ) -> ExecResult | None:
        if self.dry_run:
            return None
        if self.before_action is not None:
            self.before_action()
        request = ActionRequest(incident.id, incident.symptom.signature, incident.symptom.target, params)
        try:
            return await self.actions[name].run(request)
        except ActionError as exc:
            return ExecResult("failed", 0.0, error=str(exc))

    def _on_outcome(self, incident: ActiveIncident, decision_id: int, outcome: str, detail: str) -> None:
        if outcome == "failed":
            self.notifier.send(
                Notice(
                    "action_failed",
                    incident.id,
                    decision_id,
                    incident.symptom.signature,
                    incident.symptom.target,
                    incident.symptom.message,
                    {"detail": detail},
                )
            )

    def _on_resolved(self, row: dict[str, Any]) -> None:
        decision_id = self.store.failed_decision(int(row["id"]))
        if decision_id is not None:
            self.notifier.send(
                Notice(
                    "resolved_after_failure",
                    int(row["id"]),
                    decision_id,
                    row["signature"],
                    row["target"],
                    row["summary"],
                    {},
                )
            )

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
        """Shutdown: verifications and notifications in flight, each within `timeout`."""
        await asyncio.gather(self.verifier.drain(timeout), self.notifier.drain(timeout))

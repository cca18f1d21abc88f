"""Giving up on an incident: mark it gave_up, record why, and escalate once."""

from __future__ import annotations

import logging
import time

from mapekd.analyze.incidents import ActiveIncident
from mapekd.execute.base import Action, ActionRequest
from mapekd.execute.records import decision_event
from mapekd.knowledge.store import SqliteStore
from mapekd.metrics import LoopMetrics
from mapekd.plan.policy import Counter

log = logging.getLogger("mapekd.decision")


class Escalation:
    def __init__(
        self,
        escalate: str | None,
        store: SqliteStore,
        actions: dict[str, Action],
        *,
        dry_run: bool,
        metrics: LoopMetrics | None = None,
    ) -> None:
        self.escalate = escalate
        self.store = store
        self.actions = actions
        self.dry_run = dry_run
        self.metrics = metrics

    async def give_up(self, incident: ActiveIncident, candidates: list[str], counter: Counter) -> None:
        self.store.give_up(incident.id)
        decision = {
            "incident_id": incident.id,
            "ts": time.time(),
            "verdict": "gave_up",
            "action": None,
            "target": incident.symptom.target,
            "candidates": candidates,
            "source": "policy",
            "dry_run": self.dry_run,
            "reason": f"{counter.used} actions on target within {counter.window_s:g}s "
            f"(max {counter.limit}); escalating",
        }
        decision_id = self.store.record_decision(decision)
        if self.metrics is not None:
            self.metrics.gave_up(incident.symptom.rule)
        log.error(
            "gave up; escalating", extra={"event": decision_event(decision, decision_id, incident, counter)}
        )
        await self._escalate(incident, counter)

    async def _escalate(self, incident: ActiveIncident, counter: Counter) -> None:
        name = self.escalate
        if name is None or self.dry_run:
            return
        escalation = self.actions[name]
        request = ActionRequest(
            incident.id,
            incident.symptom.signature,
            incident.symptom.target,
            {"status": "gave_up", "symptom": incident.symptom.message},
        )
        result = await escalation.run(request)
        log.error(
            "escalation sent",
            extra={
                "event": {
                    "event": "escalation",
                    "incident": incident.id,
                    "action": name,
                    "state": result.state,
                    "error": result.error,
                    "counter": counter.as_dict(),
                }
            },
        )

"""Giving up on an incident: mark it gave_up, record why, and notify the escalation sinks once."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from mapekd.analyze.incidents import ActiveIncident, IncidentTracker
from mapekd.execute.records import decision_event
from mapekd.knowledge.base import Store
from mapekd.notify.dispatcher import Notifier
from mapekd.notify.notice import Notice
from mapekd.plan.policy import Counter

if TYPE_CHECKING:
    from mapekd.metrics import LoopMetrics

log = logging.getLogger("mapekd.decision")


class Escalation:
    def __init__(
        self,
        store: Store,
        tracker: IncidentTracker,
        notifier: Notifier,
        *,
        dry_run: bool,
        metrics: LoopMetrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.store = store
        self.tracker = tracker
        self.notifier = notifier
        self.dry_run = dry_run

    def give_up(
        self, incident: ActiveIncident, candidates: list[str], counter: Counter, *, why: str | None = None
    ) -> None:
        """Record the gave_up decision and hand the notice to the notifier (delivered in the
        background, retried and recorded there); returns at once. `why`: another reason than
        the action counter (a flapping signature)."""
        self.tracker.give_up(incident.id, time.time())
        used = f"{counter.used} actions on target within {counter.window_s:g}s (max {counter.limit})"
        reason = f"{why or used}; escalating"
        decision = {
            "incident_id": incident.id,
            "ts": time.time(),
            "verdict": "gave_up",
            "action": None,
            "target": incident.symptom.target,
            "candidates": candidates,
            "source": "policy",
            "dry_run": self.dry_run,
            "reason": reason,
        }
        decision_id = self.store.record_decision(decision)
        if self.metrics is not None:
            self.metrics.gave_up(incident.symptom.rule)
        log.error(
            "gave up; escalating", extra={"event": decision_event(decision, decision_id, incident, counter)}
        )
        self.notifier.send(
            Notice(
                "gave_up",
                incident.id,
                decision_id,
                incident.symptom.signature,
                incident.symptom.target,
                incident.symptom.message,
                {"counter": counter.as_dict(), "reason": reason},
            )
        )

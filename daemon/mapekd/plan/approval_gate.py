"""The approval gate: decisions waiting for a person are decided in the knowledge base (`mapekd
approve ID`, `mapekd deny ID`, the API); the daemon polls about once a second while any is open.
An approved decision runs (policy permitting, on an incident still open); a denied one never
does; an expired one never does, and its expiry is recorded."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from mapekd.analyze.incidents import ActiveIncident
from mapekd.analyze.rules.base import Rule
from mapekd.heal import Healer
from mapekd.model import Symptom
from mapekd.plan.enforcer import Admitted, GiveUp, Refused
from mapekd.plan.proposal import Proposal

log = logging.getLogger("mapekd.decision")
POLL_S = 1.0


class ApprovalGate:
    def __init__(self, healer: Healer, rules: Mapping[str, Rule]) -> None:
        self.healer = healer
        self.store = healer.store
        self.rules = rules
        self._requested = asyncio.Event()

    def wake(self) -> None:
        """This daemon requested an approval: poll again (a person only decides approvals the
        daemon requested, so with none open there is nothing to read until then)."""
        self._requested.set()

    async def run(self) -> None:
        """Poll about once a second while any approval is open; else sleep until one is requested."""
        open_ = True  # whatever an earlier run left open is looked at first
        while True:
            if not open_:
                await self._requested.wait()
            self._requested.clear()
            await asyncio.sleep(POLL_S)
            try:
                await self.poll()
                open_ = self.store.has_open_approvals()
            except Exception:  # a failed poll is logged; the next one tries again
                log.exception("approval poll failed")
                open_ = True

    async def poll(self) -> None:
        now = time.time()
        for row in self.store.expire_approvals(now):
            log.warning(
                "approval expired; nothing runs",
                extra={
                    "event": {
                        "event": "approval_expired",
                        "approval": row["id"],
                        "incident": row["incident_id"],
                        "action": row["action"],
                    }
                },
            )
        for row in self.store.due_approvals(now):
            await self._run_approved(row)

    async def _run_approved(self, approval: dict[str, Any]) -> None:
        incident = self.store.incident_row(approval["incident_id"])
        decision = self.store.decision(approval["decision_id"])
        symptom = self.store.latest_symptom(approval["incident_id"])
        rule = self.rules.get(incident.rule) if incident else None
        if incident is None or not incident.active or rule is None or not decision or not symptom:
            self.store.close_approval(
                approval["id"], "expired", "the incident resolved (or its rule went) first"
            )
            return
        active = ActiveIncident(incident.id, incident.status, _symptom(symptom), incident.opened_at)
        by = approval["decided_by"] or "its maintenance window"
        proposal = Proposal(
            "act",
            approval["action"],
            decision["source"],
            f"approved by {by} (approval {approval['id']})",
            confidence=decision["confidence"],
            risk=decision["risk"],
            approval=int(approval["id"]),
        )
        admission = await self.healer.run_approved(
            active, rule, proposal, lambda: self.store.claim_approval(approval["id"], time.time())
        )
        if isinstance(admission, Admitted):
            log.warning(
                "approved decision ran",
                extra={
                    "event": {"event": "approval_executed", "approval": approval["id"], "incident": active.id}
                },
            )
        elif isinstance(admission, Refused | GiveUp):  # held: stays approved, tried again until it expires
            why = admission.reason if isinstance(admission, Refused) else "the action counter is full"
            self.store.close_approval(approval["id"], "expired", f"policy: {why}")


def _symptom(row: dict[str, Any]) -> Symptom:
    return Symptom(row["rule"], row["target"], row["severity"], row["message"], row["fields"], row["ts"])

"""Symptoms to incidents: one active incident per signature, resolved when its rule clears."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mapekd.analyze.rules.base import Rule, RuleResult
from mapekd.knowledge.base import Store
from mapekd.model import Symptom

log = logging.getLogger("mapekd.incident")


@dataclass(frozen=True)
class ActiveIncident:
    """An incident needing attention this cycle, with the symptom that keeps it open."""

    id: int
    status: str
    symptom: Symptom
    opened_at: float


class IncidentTracker:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._maybe_active = {str(row["signature"]) for row in store.active_incidents()}
        """Signatures that may have an active incident (a superset). Every cycle every healthy
        target clears its rules; only these need a look in the knowledge base."""
        self.on_resolved: Callable[[dict[str, Any]], None] | None = None
        """Told of every incident resolved (its row as it was before)."""

    @property
    def may_have_active(self) -> bool:
        """False only when no incident is active (then nothing needs to be read to know it)."""
        return bool(self._maybe_active)

    def update(self, rule: Rule, result: RuleResult, now: float) -> list[ActiveIncident]:
        active = [self._open_or_touch(symptom) for symptom in result.firing]
        for target in result.clear:
            self.resolve(f"{rule.name}@{target}", now, reason="rule cleared")
        return active

    def _open_or_touch(self, symptom: Symptom) -> ActiveIncident:
        self._maybe_active.add(symptom.signature)
        row = self.store.active_incident(symptom.signature)
        if row is None:
            incident_id = self.store.open_incident(symptom)
            self.store.add_symptom(incident_id, symptom)
            log.warning(
                "incident opened",
                extra={"event": _event("incident_opened", incident_id, symptom, status="open")},
            )
            return ActiveIncident(incident_id, "open", symptom, symptom.ts)
        return ActiveIncident(int(row["id"]), str(row["status"]), symptom, float(row["opened_at"]))

    def resolve(self, signature: str, now: float, *, reason: str) -> int | None:
        """Resolve the active incident of `signature`, if any."""
        if signature not in self._maybe_active:
            return None
        row = self.store.active_incident(signature)
        self._maybe_active.discard(signature)  # one active incident per signature, resolved now
        return None if row is None else self._resolve(row, now, reason)

    def resolve_incident(self, incident_id: int, now: float, *, reason: str) -> int | None:
        """Resolve this very incident if it is still active (a verification may finish after
        the rule cleared and a newer incident of the same signature opened)."""
        row = self.store.incident(incident_id)
        if row is None or row["resolved_at"] is not None:
            return None
        return self._resolve(row, now, reason)

    def _resolve(self, row: dict[str, Any], now: float, reason: str) -> int:
        self.store.resolve_incident(int(row["id"]), now)
        log.info(
            "incident resolved",
            extra={
                "event": {
                    "event": "incident_resolved",
                    "incident": row["id"],
                    "signature": row["signature"],
                    "previous_status": row["status"],
                    "reason": reason,
                    "duration_s": round(now - float(row["opened_at"]), 3),
                }
            },
        )
        return int(row["id"])


def _event(kind: str, incident_id: int, symptom: Symptom, **more: Any) -> dict[str, Any]:
    return {
        "event": kind,
        "incident": incident_id,
        "signature": symptom.signature,
        "rule": symptom.rule,
        "target": symptom.target,
        "severity": symptom.severity,
        "symptom": symptom.message,
        **more,
    }

"""Symptoms to incidents: one active incident per signature, resolved when its rule clears.

The active incidents are kept in memory (loaded from the knowledge base at start, then kept by
the loop): a cycle needs no read of the base to know them, and healing goes on while the base is
locked or down (the writes wait in the store's journal)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from mapekd.analyze.rules.base import Rule, RuleResult
from mapekd.knowledge.base import Store
from mapekd.model import Symptom

log = logging.getLogger("mapekd.incident")
RESOLVED_KEPT = 4096
"""Resolved incidents remembered (id -> when) for a verification that ends after its rule cleared."""


@dataclass(frozen=True)
class ActiveIncident:
    """An incident needing attention this cycle, with the symptom that keeps it open."""

    id: int
    status: str
    symptom: Symptom
    opened_at: float


@dataclass(frozen=True)
class _Open:
    id: int
    signature: str
    status: str
    opened_at: float
    target: str
    summary: str


class IncidentTracker:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._active: dict[str, _Open] = {
            str(row["signature"]): _Open(
                int(row["id"]),
                str(row["signature"]),
                str(row["status"]),
                float(row["opened_at"]),
                str(row["target"]),
                str(row["summary"]),
            )
            for row in store.active_incidents()
        }
        self._resolved: OrderedDict[int, float] = OrderedDict()
        self.on_resolved: Callable[[dict[str, Any]], None] | None = None
        """Told of every incident resolved (its id, signature, status, target, summary)."""
        self.on_opened: Callable[[ActiveIncident], None] | None = None
        """Told of every incident opened, before anything decides on it."""

    @property
    def may_have_active(self) -> bool:
        return bool(self._active)

    def active_count(self) -> dict[str, int]:
        """Open incidents by status (open, gave_up)."""
        counts: dict[str, int] = {}
        for incident in self._active.values():
            counts[incident.status] = counts.get(incident.status, 0) + 1
        return counts

    def is_active(self, incident_id: int) -> bool:
        return any(i.id == incident_id for i in self._active.values())

    def status_of(self, incident_id: int) -> str | None:
        """open or gave_up while the incident is active; None once resolved (or unknown)."""
        return next((i.status for i in self._active.values() if i.id == incident_id), None)

    def resolved_at(self, incident_id: int) -> float | None:
        return self._resolved.get(incident_id)

    def update(self, rule: Rule, result: RuleResult, now: float) -> list[ActiveIncident]:
        active = [self._open_or_touch(symptom) for symptom in result.firing]
        for target in result.clear:
            self.resolve(f"{rule.name}@{target}", now, reason="rule cleared")
        return active

    def _open_or_touch(self, symptom: Symptom) -> ActiveIncident:
        known = self._active.get(symptom.signature)
        if known is None:
            incident_id = self.store.open_incident(symptom)
            self.store.add_symptom(incident_id, symptom)
            known = _Open(incident_id, symptom.signature, "open", symptom.ts, symptom.target, symptom.message)
            self._active[symptom.signature] = known
            log.warning(
                "incident opened",
                extra={"event": _event("incident_opened", incident_id, symptom, status="open")},
            )
            opened = ActiveIncident(known.id, known.status, symptom, known.opened_at)
            if self.on_opened is not None:
                self.on_opened(opened)
            return opened
        return ActiveIncident(known.id, known.status, symptom, known.opened_at)

    def give_up(self, incident_id: int, now: float) -> None:
        """The incident gave up: no more actions on it until its rule clears."""
        self.store.give_up(incident_id, now)
        for signature, incident in self._active.items():
            if incident.id == incident_id:
                self._active[signature] = replace(incident, status="gave_up")

    def resolve(self, signature: str, now: float, *, reason: str) -> int | None:
        """Resolve the active incident of `signature`, if any."""
        known = self._active.pop(signature, None)
        return None if known is None else self._resolve(known, now, reason)

    def resolve_incident(self, incident_id: int, now: float, *, reason: str) -> int | None:
        """Resolve this very incident if it is still active (a verification may finish after
        the rule cleared and a newer incident of the same signature opened)."""
        known = next((i for i in self._active.values() if i.id == incident_id), None)
        if known is None:
            return None
        del self._active[known.signature]
        return self._resolve(known, now, reason)

    def _resolve(self, known: _Open, now: float, reason: str) -> int:
        self.store.resolve_incident(known.id, now)
        self._resolved[known.id] = now
        while len(self._resolved) > RESOLVED_KEPT:
            self._resolved.popitem(last=False)
        log.info(
            "incident resolved",
            extra={
                "event": {
                    "event": "incident_resolved",
                    "incident": known.id,
                    "signature": known.signature,
                    "previous_status": known.status,
                    "reason": reason,
                    "duration_s": round(now - known.opened_at, 3),
                }
            },
        )
        if self.on_resolved is not None:
            self.on_resolved(
                {
                    "id": known.id,
                    "signature": known.signature,
                    "status": known.status,
                    "target": known.target,
                    "summary": known.summary,
                }
            )
        return known.id


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

"""One incident, one story: what the healer remembers across the decisions of an incident and
of the incidents that continue it (a relapse), and decides before a source is asked.

The healer calls `attach` first (an incident that is part of another's story is not decided on
its own), `narrow` before deciding, `flapping` to know whether to escalate instead,
`acting` before a remedy runs and `outcome` when its verification ends; the tracker tells
`opened` of each new incident. The parts live in the modules this one ties together."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from mapekd.analyze.dependencies import Dependencies
from mapekd.analyze.incidents import ActiveIncident, IncidentTracker
from mapekd.analyze.rules.base import Rule
from mapekd.analyze.services import Attachment, ServiceGroups, groups_of, reaches_of
from mapekd.config.settings import Settings
from mapekd.execute.relapse import RelapseWatch
from mapekd.plan.proposal import Candidate
from mapekd.plan.tried import Narrowed, TriedRemedies

log = logging.getLogger("mapekd.decision")
K = TypeVar("K")
V = TypeVar("V")
KEPT = 4096
"""Relapse links and signatures remembered (the oldest forgotten first)."""


class Story:
    def __init__(
        self,
        settings: Settings,
        tracker: IncidentTracker,
        *,
        deciding: Callable[[int], bool],
        execution_of: Callable[[int], int | None],
        collect: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.collect = collect
        """Collects a check now (outside its schedule)."""
        self.relapses = RelapseWatch.from_settings(settings)
        """Watches each verified resolution for a relapse (the verifier starts the watches)."""
        self.deciding = deciding
        """Is this incident's decision being made off the cycle (the LLM asked)?"""
        self.groups = ServiceGroups(
            groups_of(settings),
            reaches_of(settings),
            self._in_hand,
            tracker.is_active,
            execution_of,
            tracker.status_of,
        )
        self.dependencies = Dependencies.from_settings(settings, tracker.status_of)
        self._check_of = {r.name: r.check for r in settings.rules}
        self._waiting: dict[int, dict[int, str]] = {}
        """lead incident -> the incidents attached to it -> their checks."""
        self.tried = TriedRemedies()
        self._acting: dict[int, str] = {}
        """incident id -> the remedy running or being verified on it (one at a time)."""
        self.relapse_of: dict[int, int] = {}
        """incident id -> the incident it is a relapse of."""
        self._relapsed: dict[str, deque[float]] = {}
        """signature -> when its relapses happened (within policy.window)."""

    def attach(self, incident: ActiveIncident, rule: Rule) -> Attachment | None:
        """What this incident is part of (a dependency's incident, an incident of its service in
        hand, the remedy that caused it), or None: it is decided now."""
        found = self.dependencies.attachment(incident.id, rule.check) or self.groups.claim(
            incident, rule.check
        )
        if found is not None:
            self._waiting.setdefault(found.lead, {})[incident.id] = rule.check
            _forget_oldest(self._waiting)
        return found

    def _release(self, lead: int) -> None:
        """The incidents that waited for this one are collected now, and decided if they still
        hold, not at their checks' next interval."""
        for check in set(self._waiting.pop(lead, {}).values()):
            self.collect(check)

    def _in_hand(self, incident_id: int) -> str | None:
        if incident_id in self._acting:
            return self._acting[incident_id]
        return "" if self.deciding(incident_id) else None

    def narrow(self, incident: ActiveIncident, candidates: list[Candidate]) -> Narrowed:
        return self.tried.narrow(incident.id, candidates, self.settings.plan)

    def acting(self, incident: ActiveIncident, action: str) -> None:
        self._acting[incident.id] = action

    def idle(self, incident: ActiveIncident) -> None:
        """No remedy in hand after all (none ran, or its verification did not start)."""
        self._acting.pop(incident.id, None)
        self._release(incident.id)

    def resolved(self, incident_id: int) -> None:
        self._release(incident_id)

    def outcome(self, incident: ActiveIncident, outcome: str) -> None:
        action = self._acting.pop(incident.id, None)
        if action is not None:
            self.tried.record(incident.id, action, outcome)
        self._release(incident.id)

    def opened(self, incident: ActiveIncident) -> None:
        check = self._check_of.get(incident.symptom.rule)
        if check is not None:
            self.dependencies.opened(check, incident.id)
        relapse = self.relapses.opened(incident)
        if relapse is None:
            return
        earlier = relapse.earlier
        self.outcome(earlier, "relapsed")
        self.tried.carry_over(earlier.id, incident.id)
        self.relapse_of[incident.id] = earlier.id
        times = self._relapsed.setdefault(incident.symptom.signature, deque(maxlen=KEPT))
        times.append(time.time())
        _forget_oldest(self.relapse_of)
        _forget_oldest(self._relapsed)
        log.warning(
            "relapse: the rule fired again while a remedy's success was watched",
            extra={
                "event": {
                    "event": "relapse",
                    "incident": incident.id,
                    "relapse_of": earlier.id,
                    "signature": incident.symptom.signature,
                    "relapses": self.relapses_of(incident.symptom.signature),
                }
            },
        )

    def relapses_of(self, signature: str) -> int:
        since = time.time() - self.settings.policy.window
        return sum(1 for t in self._relapsed.get(signature, ()) if t >= since)

    def flapping(self, incident: ActiveIncident) -> str | None:
        """Why this incident escalates instead of being remedied again, or None."""
        if incident.id not in self.relapse_of:
            return None
        policy = self.settings.policy
        count = self.relapses_of(incident.symptom.signature)
        if count < policy.max_relapses:
            return None
        return (
            f"flapping: relapse of incident {self.relapse_of[incident.id]}; the remedies of "
            f"{incident.symptom.signature} relapsed {count} times within {policy.window:g}s "
            f"(max_relapses {policy.max_relapses})"
        )


def _forget_oldest(kept: dict[K, V]) -> None:
    while len(kept) > KEPT:
        del kept[next(iter(kept))]

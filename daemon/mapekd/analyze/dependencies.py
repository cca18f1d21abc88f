"""`depends_on` at run time: an incident of a check whose dependency (direct or further up) has an
incident of its own is attributed to that incident ("caused by N"). Its own remedies wait while
the dependency is remedied first; when the dependency's incident gives up, it escalates with it.

A dependency's incident that nothing remedies (no candidate) keeps its dependents waiting: their
own remedies would not help. The incidents of each check are learnt as they open (an incident
still open from before a restart of the daemon is not known as a dependency's until it opens
again)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from mapekd.analyze.services import Attachment
from mapekd.config.settings import Settings

TOLD_KEPT = 4096
"""(incident, cause) pairs remembered as recorded."""


@dataclass(frozen=True)
class Cause:
    incident: int
    check: str
    gave_up: bool


class Dependencies:
    def __init__(self, depends_on: dict[str, list[str]], status_of: Callable[[int], str | None]) -> None:
        self.depends_on = depends_on
        self.status_of = status_of
        """incident id -> its status (open, gave_up) while active, else None."""
        self.needed = {d for deps in depends_on.values() for d in deps}
        self._open: dict[str, list[int]] = {}
        """check -> its incidents opened since (those no longer active dropped on reading)."""
        self._told: set[tuple[int, int, bool]] = set()

    @classmethod
    def from_settings(cls, settings: Settings, status_of: Callable[[int], str | None]) -> Dependencies:
        return cls({c.name: list(c.depends_on) for c in settings.checks}, status_of)

    def opened(self, check: str, incident_id: int) -> None:
        if check in self.needed:
            self._open[check] = [*self._active(check), incident_id]

    def attachment(self, incident_id: int, check: str) -> Attachment | None:
        """What an incident of `check` is part of: the incident of a failing dependency."""
        cause = self.cause_of(check)
        if cause is None:
            return None
        key = (incident_id, cause.incident, cause.gave_up)
        first = key not in self._told
        if len(self._told) >= TOLD_KEPT:
            self._told.clear()  # at worst one attachment is recorded twice
        self._told.add(key)
        what = f"caused by incident {cause.incident} (dependency {cause.check}"
        if cause.gave_up:
            reason = f"{what}), which gave up"
        else:
            reason = f"{what} is failing): waits while that is remedied first"
        return Attachment(cause.incident, reason, expected=False, first=first, escalate=cause.gave_up)

    def cause_of(self, check: str) -> Cause | None:
        """The nearest dependency of `check` with an active incident (breadth first), if any."""
        seen, queue = {check}, deque(self.depends_on.get(check, ()))
        while queue:
            dependency = queue.popleft()
            if dependency in seen:
                continue
            seen.add(dependency)
            for incident in self._active(dependency):
                return Cause(incident, dependency, self.status_of(incident) == "gave_up")
            queue.extend(self.depends_on.get(dependency, ()))
        return None

    def _active(self, check: str) -> list[int]:
        alive = [i for i in self._open.get(check, ()) if self.status_of(i) is not None]
        if alive:
            self._open[check] = alive
        else:
            self._open.pop(check, None)
        return alive

"""One incident, one story: what the healer remembers across the decisions of an incident (the
remedies it tried) and decides before a source is asked (which candidates remain).

The healer calls `narrow` before deciding, `acting` before a remedy runs and `outcome` when its
verification ends; everything else lives in the modules this one ties together."""

from __future__ import annotations

from mapekd.analyze.incidents import ActiveIncident
from mapekd.config.settings import Settings
from mapekd.plan.proposal import Candidate
from mapekd.plan.tried import Narrowed, TriedRemedies


class Story:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tried = TriedRemedies()
        self._acting: dict[int, str] = {}
        """incident id -> the remedy running or being verified on it (one at a time)."""

    def narrow(self, incident: ActiveIncident, candidates: list[Candidate]) -> Narrowed:
        return self.tried.narrow(incident.id, candidates, self.settings.plan)

    def acting(self, incident: ActiveIncident, action: str) -> None:
        self._acting[incident.id] = action

    def outcome(self, incident: ActiveIncident, outcome: str) -> None:
        action = self._acting.pop(incident.id, None)
        if action is not None:
            self.tried.record(incident.id, action, outcome)

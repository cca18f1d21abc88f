"""One service, one story: incidents of one service are decided one at a time, and an incident a
remedy itself causes is expected, not a new fault whose remedy fights the first.

A group is the checks that share a `service:` name (a check without one is a group of its own).
While an incident of the group is in hand (being decided, its remedy running or verified), a new
incident of the group is attached to it ("part of incident N") and not decided on its own.

An incident on a check that the running remedy acts on (a `signal` action's check, a process
check of a `systemd` action's unit) is expected: caused by that remedy (the process-down incident
right after `kill` was chosen for a hang). It waits until the remedy's verification ends; if it
outlasts it, it is a real fault and is decided next, before the incident whose remedy caused it
(which waits for it in turn, and is not remedied twice over)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mapekd.analyze.incidents import ActiveIncident
from mapekd.config.actions import SignalActionConfig, SystemdActionConfig
from mapekd.config.checks import ProcessCheckConfig
from mapekd.config.settings import Settings

PRUNE_AT = 256
"""Entries kept before those of inactive incidents are dropped."""


@dataclass(frozen=True)
class Attachment:
    lead: int
    """The incident this one is part of (or waits for)."""
    reason: str
    expected: bool
    """Caused by the lead's own remedy."""
    first: bool
    """First time attached to this lead (recorded once)."""
    escalate: bool = False
    """The lead gave up: this incident escalates with it."""


def groups_of(settings: Settings) -> dict[str, str]:
    """check name -> its group: `service NAME`, or `check NAME` for a check with no service."""
    return {c.name: f"service {c.service}" if c.service else f"check {c.name}" for c in settings.checks}


def reaches_of(settings: Settings) -> dict[str, frozenset[str]]:
    """action name -> the checks whose processes it acts on directly (known for a signal action and
    for a systemd action on a unit a process check watches)."""
    unit_checks: dict[str, set[str]] = {}
    for check in settings.checks:
        if isinstance(check, ProcessCheckConfig) and check.unit:
            unit_checks.setdefault(check.unit, set()).add(check.name)
    out: dict[str, frozenset[str]] = {}
    for action in settings.actions:
        if isinstance(action, SignalActionConfig):
            out[action.name] = frozenset({action.check})
        elif isinstance(action, SystemdActionConfig):
            out[action.name] = frozenset(c for u in action.units for c in unit_checks.get(u, ()))
    return out


class ServiceGroups:
    def __init__(
        self,
        groups: dict[str, str],
        reaches: dict[str, frozenset[str]],
        in_hand: Callable[[int], str | None],
        active: Callable[[int], bool],
        execution_of: Callable[[int], int | None] = lambda incident: None,
        status: Callable[[int], str | None] = lambda incident: None,
    ) -> None:
        self.status = status
        """incident id -> open / gave_up while active (a service that gave up escalates whole)."""
        self.execution_of = execution_of
        """incident id -> the execution of its remedy being verified, if known."""
        self.groups = groups
        self.reaches = reaches
        self.in_hand = in_hand
        """incident id -> its remedy's name while it is decided ("" before a remedy is chosen),
        run or verified; None when it is not in hand."""
        self.active = active
        self._leads: dict[str, int] = {}
        self._follows: dict[int, int] = {}
        """incident -> the incident its remedy caused, decided first."""
        self._claimed: set[int] = set()
        self._told: set[tuple[int, int]] = set()

    def group(self, check: str) -> str:
        return self.groups.get(check, f"check {check}")

    def claim(self, incident: ActiveIncident, check: str) -> Attachment | None:
        """None: this incident is decided now (it leads its group); else what it is part of."""
        self._prune()
        found = self._caused_by(incident, check) or self._in_group(incident, check) or self._waits(incident)
        if found is None:
            self._leads[self.group(check)] = incident.id
            self._claimed.add(incident.id)
            return None
        lead, reason, expected = found
        if expected:
            self._follows[lead] = incident.id
        first = (incident.id, lead) not in self._told
        self._told.add((incident.id, lead))
        gave_up = not expected and self.status(lead) == "gave_up"
        return Attachment(lead, reason, expected, first, escalate=gave_up)

    def _caused_by(self, incident: ActiveIncident, check: str) -> tuple[int, str, bool] | None:
        for lead in self._leads.values():
            action = self.in_hand(lead) if lead != incident.id else None
            if action and check in self.reaches.get(action, ()):
                execution = self.execution_of(lead)
                run = "" if execution is None else f" (execution {execution})"
                why = f"expected: caused by the remedy {action}{run} of incident {lead}"
                why += "; waits for its verification"
                return lead, why, True
        return None

    def _in_group(self, incident: ActiveIncident, check: str) -> tuple[int, str, bool] | None:
        group = self.group(check)
        lead = self._leads.get(group)
        if lead is None or lead == incident.id or not self.active(lead):
            return None  # a resolved lead decides nothing more, even while its plan still runs
        if self.status(lead) == "gave_up":  # no other symptom of it gets a remedy of its own
            return lead, f"part of incident {lead} ({group}), which gave up: escalated with it", False
        if self.in_hand(lead) is None:
            return None
        return lead, f"part of incident {lead} ({group}), decided there", False

    def _waits(self, incident: ActiveIncident) -> tuple[int, str, bool] | None:
        caused = self._follows.get(incident.id)
        if caused is None or not self.active(caused):
            return None
        if caused in self._claimed and self.in_hand(caused) is None:
            return None  # it was decided and verified: this incident is free again
        return caused, f"waits for incident {caused}, which its remedy caused: decided first", False

    def _prune(self) -> None:
        if len(self._claimed) + len(self._told) + len(self._follows) < PRUNE_AT:
            return
        self._leads = {g: i for g, i in self._leads.items() if self.active(i)}
        self._follows = {a: b for a, b in self._follows.items() if self.active(a)}
        self._claimed = {i for i in self._claimed if self.active(i)}
        self._told = {(a, b) for a, b in self._told if self.active(a)}

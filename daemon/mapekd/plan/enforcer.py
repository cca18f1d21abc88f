"""The one place every remedy passes right before it runs, whatever chose it (rule, knowledge, the
LLM, an override, an approval) and whichever engine it was decided by (a reload may have come in
between):

1. the action is still configured, unchanged, and still applies to the target (else refused);
2. a high-risk action, a proposal the guardrails flagged, or a remedy quarantined fleet-wide
   (knowledge.fleet), runs only with an approval;
3. with maintenance windows configured, a medium-risk remedy outside a window is deferred to the
   next window (or an earlier approval);
4. caps: one execution in flight per effect, `policy.max_in_flight` overall, an action's own
   `max_in_flight`; the effect's cooldown; `max_actions` per effect per window (else give up);
   `policy.max_executions` overall and an action's `max_executions` per window (else wait);
   with a fleet, its lease (else wait for the host acting on it).

Admission and counting happen in one synchronous step (no await in between): every incident of a
cycle may be decided at once, and none can slip past a cap another one just reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from mapekd.config.actions import ActionConfig
from mapekd.config.settings import Settings
from mapekd.execute.base import Action
from mapekd.plan.ledger import Lease, Ledger, Started
from mapekd.plan.policy import Counter, Policy
from mapekd.plan.proposal import Proposal
from mapekd.plan.windows import Windows


class FleetGate(Protocol):
    """What the fleet (knowledge.fleet) says, answered from memory."""

    def quarantined(self, action: str, target: str) -> str | None:
        """Why this remedy runs only once approved (None: it is not quarantined)."""
        ...

    def lease(self, action: str, target: str, ttl: float, now: float) -> str | None:
        """Why this remedy waits for another host (None: it may act now)."""
        ...


LEASE_MARGIN_S = 10.0
"""A fleet lease lasts the action's timeout and settle time, and this."""


@dataclass(frozen=True)
class Admitted:
    lease: Lease
    action: Action
    config: ActionConfig
    effect: str
    counter: Counter


@dataclass(frozen=True)
class Held:
    """Not now, and nothing recorded: decided again at a later cycle."""

    reason: str


@dataclass(frozen=True)
class NeedsApproval:
    reason: str
    not_before: float | None = None
    """Deferred to a maintenance window: it runs by itself once one opens (at this time)."""
    expires_at: float | None = None


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class GiveUp:
    counter: Counter


Admission = Admitted | Held | NeedsApproval | Refused | GiveUp


class Enforcer:
    def __init__(
        self,
        settings: Settings,
        actions: dict[str, Action],
        ledger: Ledger,
        fleet: FleetGate | None = None,
    ) -> None:
        self.ledger = ledger
        self.fleet = fleet
        self.configure(settings, actions)

    def configure(self, settings: Settings, actions: dict[str, Action]) -> None:
        """The configuration in force from now on (start, and every reload once it is built)."""
        self.configs = {a.name: a for a in settings.actions}
        self.actions = actions
        self.policy = Policy(settings.policy, self.ledger)
        self.windows = Windows(settings.policy.windows)
        self.ledger.keep = settings.policy.window

    def admit(self, proposal: Proposal, target: str, decided_with: ActionConfig, now: float) -> Admission:
        name = proposal.action or ""
        config, action = self.configs.get(name), self.actions.get(name)
        if config is None or action is None:
            return Refused(f"action {name!r} is no longer configured (reloaded since it was chosen)")
        if config != decided_with:
            return Refused(f"action {name!r} changed since it was chosen (reloaded); decided again")
        if not action.applies_to(target):
            return Refused(f"action {name!r} does not apply to {target!r}")
        if proposal.approval is None:
            waiting = self._needs_person(proposal, config, now) or self._quarantined(name, target)
            if waiting is not None:
                return waiting
        return self._within_caps(name, action, config, target, now)

    def _needs_person(self, proposal: Proposal, config: ActionConfig, now: float) -> NeedsApproval | None:
        if config.risk == "high":
            return NeedsApproval(f"{config.name} is high-risk: it runs only once approved")
        if proposal.needs_approval:
            return NeedsApproval(proposal.reason)
        if config.risk == "medium" and self.windows:
            at = datetime.fromtimestamp(now, UTC)
            if not self.windows.open_at(at):
                start, end = self.windows.next_start(at), self.windows.end_of_next(at)
                if start is not None and end is not None:
                    return NeedsApproval(
                        f"medium-risk: deferred to the maintenance window at {start.isoformat()}",
                        not_before=start.timestamp(),
                        expires_at=end.timestamp(),
                    )
                return NeedsApproval("medium-risk and no maintenance window will open again")
        return None

    def _quarantined(self, name: str, target: str) -> NeedsApproval | None:
        why = self.fleet.quarantined(name, target) if self.fleet is not None else None
        return NeedsApproval(why) if why is not None else None

    def _within_caps(
        self, name: str, action: Action, config: ActionConfig, target: str, now: float
    ) -> Admission:
        effect = action.effect_of(target)
        running = self.ledger.running
        policy = self.policy.config
        if running[f"effect:{effect}"]:
            return Held(f"{effect} is already being acted on")
        if running["all"] >= policy.max_in_flight:
            return Held(f"{policy.max_in_flight} remedies already running (policy.max_in_flight)")
        if config.max_in_flight is not None and running[f"action:{name}"] >= config.max_in_flight:
            return Held(f"{config.max_in_flight} runs of {name} already running")
        verdict, counter = self.policy.verdict(target, now, effect=effect)
        if verdict == "give_up":
            return GiveUp(counter)
        if verdict == "cooldown":
            return Held(f"{effect} acted on within the cooldown")
        if len(self.ledger.times(now, policy.window)) >= policy.max_executions:
            return Held(f"{policy.max_executions} remedies within the window (policy.max_executions)")
        limit = config.max_executions
        if limit is not None and len(self.ledger.times(now, policy.window, action=name)) >= limit:
            return Held(f"{limit} runs of {name} within the window (its max_executions)")
        if self.fleet is not None:  # last: a lease is taken only for a remedy about to run
            waiting = self.fleet.lease(name, target, config.timeout + config.settle + LEASE_MARGIN_S, now)
            if waiting is not None:
                return Held(waiting)
        lease = self.ledger.begin(Started(now, name, effect, target))
        return Admitted(lease, action, config, effect, counter)

"""What a decision source proposes, and the candidates it chooses among."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["rule", "knowledge", "fleet", "llm", "policy"]
Risk = Literal["low", "medium", "high"]
Intent = Literal["act", "none", "escalate"]
RISK_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class Candidate:
    """A whitelisted action that may act on this incident's target."""

    name: str
    kind: str
    description: str
    risk: Risk
    from_rule: bool
    """One of the rule's own remedies (False: proposed where the rule configures none)."""
    successes: int = 0
    tries: int = 0
    """The action's record for this signature, whatever the cause."""
    cause_successes: int = 0
    cause_tries: int = 0
    """The action's record for this signature and this incident's cause fingerprint."""
    treats: tuple[str, ...] = ()
    """The cause classes the action declares it fixes (empty: any, undeclared)."""
    fleet_successes: int = 0
    fleet_tries: int = 0
    fleet_hosts: int = 0
    """The fleet's record (knowledge.fleet) for this cause, else this signature: the other hosts'
    outcomes, each host's weight capped; distinct hosts it was tried on."""
    fleet_proven: bool = False
    """The fleet's record proves it (knowledge.fleet.min_*), this host's own record for the cause
    does not refute it, and it is not quarantined."""

    @property
    def record(self) -> tuple[int, int, str]:
        """(successes, tries, of what): the record for this cause where it has one, else the
        signature's: what one cause says outweighs what the signature's other causes say."""
        if self.cause_tries:
            return self.cause_successes, self.cause_tries, "this cause"
        return self.successes, self.tries, "this signature"


@dataclass
class Proposal:
    intent: Intent
    action: str | None
    source: Source
    reason: str
    confidence: float | None = None
    risk: Risk | None = None
    params: dict[str, str] = field(default_factory=dict)
    needs_approval: bool = False
    llm: dict[str, Any] = field(default_factory=dict)
    """What the LLM was asked and said (template, version, model, raw, parsed, latency_ms, error),
    recorded with the decision even when another source decided in the end."""
    override_reason: str | None = None
    approval: int | None = None
    """The approval this proposal runs under (approved by a person, or its maintenance window
    opened); None: it has none, and a high-risk action may not run."""
    fingerprint: str | None = None
    """The cause fingerprint of the incident when it was decided (None: not known then)."""

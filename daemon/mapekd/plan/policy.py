"""Guards on acting: a cooldown and a cap of remedies per window, on the target and on the effect.

How the counter works (and when it resets), because this is where restart counters confuse:
- It counts remedies started (real ones and dry-run would_execute ones alike), not incidents: a
  service that recovers for a moment and fails again is still counted.
- It counts them twice: on the incident's *target*, and on the remedy's *effect* (what it acts
  on: the unit restarted, the check whose processes are signalled, the command run; see
  plan/ledger.py). `max_actions` and `cooldown` hold for each. A flood of distinct targets that
  all lead to the same effect is one effect: it is acted on `max_actions` times per window, not
  once per target.
- It is a sliding window: each remedy stops counting `window` seconds after it started.
  Nothing else resets it — not a new incident, not a reload, not a daemon restart (it is seeded
  from SQLite at start).
- When an incident needs an action and the count has reached `max_actions`, the incident is
  marked gave_up: no more actions on it, one escalation. A gave_up incident stays gave_up until
  its rule clears; a new incident on the same target acts again only once the window allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mapekd.config.settings import PolicyConfig
from mapekd.knowledge.base import ActionHistory
from mapekd.plan.ledger import Ledger, Started

Verdict = Literal["act", "cooldown", "give_up"]


@dataclass(frozen=True)
class Counter:
    used: int
    limit: int
    window_s: float
    oldest_expires_at: float | None
    """When the oldest counted execution stops counting (None: nothing counted)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "used": self.used,
            "limit": self.limit,
            "window_s": self.window_s,
            "oldest_expires_at": self.oldest_expires_at,
        }


class Policy:
    def __init__(self, config: PolicyConfig, ledger: Ledger) -> None:
        self.config = config
        self.ledger = ledger

    def counter(self, now: float, *, target: str | None = None, effect: str | None = None) -> Counter:
        times = self.ledger.times(now, self.config.window, target=target, effect=effect)
        expires = times[0] + self.config.window if times else None
        return Counter(len(times), self.config.max_actions, self.config.window, expires)

    def verdict(self, target: str, now: float, *, effect: str | None = None) -> tuple[Verdict, Counter]:
        """On the target (before a remedy is chosen), or on the target's remedy's effect."""
        key = {"effect": effect} if effect is not None else {"target": target}
        counter = self.counter(now, **key)
        if counter.used >= self.config.max_actions:
            return "give_up", counter
        if self.ledger.times(now, self.config.cooldown, **key):
            return "cooldown", counter
        return "act", counter


def seeded_ledger(queries: ActionHistory, window: float, now: float) -> Ledger:
    """A ledger holding the remedies the knowledge base recorded within `window` before `now`
    (rows written before effects were recorded count as an effect of their own target)."""
    ledger = Ledger(window)
    ledger.seed(
        Started(at, action, effect or f"{action}@{target}", target)
        for at, action, effect, target in queries.remedies_since(now - window)
    )
    return ledger


def recorded_counter(config: PolicyConfig, queries: ActionHistory, target: str, now: float) -> Counter:
    """A target's counter as the knowledge base records it (`mapekd kb show`, `mapekd status`)."""
    return Policy(config, seeded_ledger(queries, config.window, now)).counter(now, target=target)

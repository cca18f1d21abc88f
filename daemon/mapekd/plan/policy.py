"""Guards on acting: cooldown per target and a cap of actions per target per window.

How the counter works (and when it resets), because this is where restart counters confuse:
- It counts executions on a *target* (real ones and dry-run would_execute ones alike), not per
  incident, so a service that recovers for a moment and fails again is still counted.
- It is a sliding window: each execution stops counting `window` seconds after it started.
  Nothing else resets it — not a new incident, not a daemon restart (it lives in SQLite).
- When an incident needs an action and the count has reached `max_actions`, the incident is
  marked gave_up: no more actions on it, one escalation. A gave_up incident stays gave_up until
  its rule clears; a new incident on the same target acts again only once the window allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mapekd.config.settings import PolicyConfig
from mapekd.knowledge.base import ActionHistory

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
    def __init__(self, config: PolicyConfig, queries: ActionHistory) -> None:
        self.config = config
        self.queries = queries

    def counter(self, target: str, now: float) -> Counter:
        times = self.queries.action_times(target, now - self.config.window)
        expires = times[0] + self.config.window if times else None
        return Counter(len(times), self.config.max_actions, self.config.window, expires)

    def verdict(self, target: str, now: float) -> tuple[Verdict, Counter]:
        counter = self.counter(target, now)
        if counter.used >= self.config.max_actions:
            return "give_up", counter
        last = self.queries.action_times(target, now - self.config.cooldown)
        if last:
            return "cooldown", counter
        return "act", counter

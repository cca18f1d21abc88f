"""Fixed window: at most `limit` per calendar minute (windows aligned on multiples of 60 s).

Cheapest; allows up to twice the limit across a window boundary. A settlement landing in a later
window charges only an overshoot (real usage above the reservation) to the current window."""

from __future__ import annotations

import math

from mapekd.llm.limits.base import WINDOW_S, Ticket


class FixedWindow:
    def __init__(self, limit: float, *, now: float = 0.0) -> None:
        self.limit = float(limit)
        self._slot = -1
        self._used = 0.0

    def _roll(self, now: float) -> int:
        slot = int(now // WINDOW_S)
        if slot != self._slot:
            self._slot = slot
            self._used = 0.0
        return slot

    def wait_time(self, now: float, amount: float) -> float:
        if amount > self.limit:
            return math.inf
        slot = self._roll(now)
        if self._used + amount <= self.limit:
            return 0.0
        return (slot + 1) * WINDOW_S - now

    def take(self, now: float, amount: float) -> Ticket:
        slot = self._roll(now)
        self._used += amount
        return Ticket(at=now, amount=amount, slot=slot)

    def settle(self, now: float, ticket: Ticket, actual: float) -> None:
        slot = self._roll(now)
        delta = actual - ticket.amount
        if slot == ticket.slot:
            self._used = max(0.0, self._used + delta)
        elif delta > 0:
            self._used += delta
        ticket.amount = actual

    def available(self, now: float) -> float:
        self._roll(now)
        return max(0.0, self.limit - self._used)

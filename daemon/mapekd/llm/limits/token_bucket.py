"""Token bucket: `limit` tokens of capacity, refilled continuously at limit/60 per second.

Bursts up to the full limit are allowed. Settling more than was reserved puts the bucket in debt
(negative), so real usage is always paid for."""

from __future__ import annotations

import math

from mapekd.llm.limits.base import WINDOW_S, Ticket


class TokenBucket:
    def __init__(self, limit: float, *, now: float = 0.0) -> None:
        self.limit = float(limit)
        self._rate = self.limit / WINDOW_S
        self._tokens = self.limit
        self._at = now

    def _refill(self, now: float) -> None:
        if now > self._at:
            self._tokens = min(self.limit, self._tokens + (now - self._at) * self._rate)
            self._at = now

    def wait_time(self, now: float, amount: float) -> float:
        if amount > self.limit:
            return math.inf
        self._refill(now)
        missing = amount - self._tokens
        return 0.0 if missing <= 0 else missing / self._rate

    def take(self, now: float, amount: float) -> Ticket:
        self._refill(now)
        self._tokens -= amount
        return Ticket(at=now, amount=amount)

    def settle(self, now: float, ticket: Ticket, actual: float) -> None:
        self._refill(now)
        self._tokens = min(self.limit, self._tokens + ticket.amount - actual)
        ticket.amount = actual

    def available(self, now: float) -> float:
        self._refill(now)
        return max(0.0, self._tokens)

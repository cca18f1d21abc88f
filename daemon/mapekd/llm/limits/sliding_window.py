"""Sliding window log: the amounts recorded in the last 60 s may not exceed `limit`.

Exact (no boundary burst), at the cost of one entry per call kept for a minute. Settling changes
the entry in place, so the corrected amount expires when the original would have."""

from __future__ import annotations

import math
from collections import deque

from mapekd.llm.limits.base import WINDOW_S, Ticket


class SlidingWindow:
    def __init__(self, limit: float, *, now: float = 0.0) -> None:
        self.limit = float(limit)
        self._log: deque[Ticket] = deque()
        self._used = 0.0

    def _expire(self, now: float) -> None:
        while self._log and self._log[0].at <= now - WINDOW_S:
            self._used -= self._log.popleft().amount

    def wait_time(self, now: float, amount: float) -> float:
        if amount > self.limit:
            return math.inf
        self._expire(now)
        excess = self._used + amount - self.limit
        if excess <= 0:
            return 0.0
        for ticket in self._log:
            excess -= ticket.amount
            if excess <= 0:
                return ticket.at + WINDOW_S - now
        return WINDOW_S  # only reachable when settled debt exceeds the window: wait it out

    def take(self, now: float, amount: float) -> Ticket:
        self._expire(now)
        ticket = Ticket(at=now, amount=amount)
        self._log.append(ticket)
        self._used += amount
        return ticket

    def settle(self, now: float, ticket: Ticket, actual: float) -> None:
        self._expire(now)
        if ticket.at > now - WINDOW_S:
            self._used += actual - ticket.amount
        ticket.amount = actual

    def available(self, now: float) -> float:
        self._expire(now)
        return max(0.0, self.limit - self._used)

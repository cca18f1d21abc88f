"""One meter = one limit (e.g. 60 requests or 100k tokens per minute) under one algorithm.

A meter answers how long to wait before `amount` fits, records an amount unconditionally (the
caller checked first), and settles a recorded amount to what was really used. Amounts are floats
so that TPM and RPM share the code. Time comes from the caller: meters never read a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

WINDOW_S = 60.0
"""Every limit is per minute."""


@dataclass(slots=True)
class Ticket:
    """What a meter recorded for one call, so that it can be settled later."""

    at: float
    amount: float
    slot: int = 0
    """fixed_window: the window the amount was charged to."""


class Meter(Protocol):
    limit: float

    def wait_time(self, now: float, amount: float) -> float:
        """0 if `amount` fits now; else seconds until it would (inf if it never can)."""
        ...

    def take(self, now: float, amount: float) -> Ticket: ...

    def settle(self, now: float, ticket: Ticket, actual: float) -> None:
        """Replace the recorded amount by `actual` (more or less than reserved)."""
        ...

    def available(self, now: float) -> float: ...

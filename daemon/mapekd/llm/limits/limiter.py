"""RPM + TPM for one scope (a provider, or one API key of it), and reservations across scopes.

A call reserves 1 request and `estimated input + max_tokens` tokens in EVERY scope it passes
(provider and key) before it starts, or in none; afterwards the tokens are settled to the real
usage. Reservation is what keeps concurrent calls from all reading the same headroom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from mapekd.errors import ConfigError
from mapekd.llm.limits.base import Meter, Ticket
from mapekd.llm.limits.fixed_window import FixedWindow
from mapekd.llm.limits.sliding_window import SlidingWindow
from mapekd.llm.limits.token_bucket import TokenBucket

ALGORITHMS: dict[str, Callable[..., Meter]] = {
    "token_bucket": TokenBucket,
    "sliding_window": SlidingWindow,
    "fixed_window": FixedWindow,
}


def make_meter(algorithm: str, limit: float, *, now: float) -> Meter:
    factory = ALGORITHMS.get(algorithm)
    if factory is None:
        known = ", ".join(sorted(ALGORITHMS))
        raise ConfigError(f"unknown algorithm {algorithm!r} (known: {known})", path="algorithm")
    return factory(limit, now=now)


class RateLimiter:
    def __init__(
        self,
        scope: str,
        *,
        rpm: int | None,
        tpm: int | None,
        algorithm: str,
        clock: Callable[[], float],
    ) -> None:
        self.scope = scope
        self.clock = clock
        now = clock()
        self.rpm = make_meter(algorithm, rpm, now=now) if rpm else None
        self.tpm = make_meter(algorithm, tpm, now=now) if tpm else None
        self.algorithm = algorithm

    def wait_time(self, tokens: float) -> float:
        now = self.clock()
        rpm = self.rpm.wait_time(now, 1) if self.rpm else 0.0
        tpm = self.tpm.wait_time(now, tokens) if self.tpm else 0.0
        return max(rpm, tpm)

    def take(self, tokens: float) -> Ticket | None:
        now = self.clock()
        if self.rpm:
            self.rpm.take(now, 1)
        return self.tpm.take(now, tokens) if self.tpm else None

    def snapshot(self) -> dict[str, Any]:
        now = self.clock()
        out: dict[str, Any] = {"algorithm": self.algorithm}
        for label, meter in (("rpm", self.rpm), ("tpm", self.tpm)):
            if meter is not None:
                out[label] = {"limit": int(meter.limit), "available": int(meter.available(now))}
        return out


class Reservation:
    """Tokens held in each scope until settle() replaces them by the real usage."""

    def __init__(self, held: list[tuple[RateLimiter, Ticket]], tokens: float) -> None:
        self._held = held
        self.tokens = tokens
        self.settled = False

    def settle(self, actual_tokens: float) -> None:
        if self.settled:
            return
        self.settled = True
        for limiter, ticket in self._held:
            if limiter.tpm is not None:
                limiter.tpm.settle(limiter.clock(), ticket, actual_tokens)


def try_reserve(limiters: Sequence[RateLimiter], tokens: float) -> Reservation | float:
    """A Reservation in every scope, or the seconds to wait (inf: the call can never fit)."""
    wait = max((lim.wait_time(tokens) for lim in limiters), default=0.0)
    if wait > 0:
        return wait
    held = [(lim, t) for lim in limiters if (t := lim.take(tokens)) is not None]
    return Reservation(held, tokens)


def describe_wait(scope: str, wait: float, tokens: float) -> str:
    if math.isinf(wait):
        return f"{scope}: a call of {int(tokens)} tokens exceeds the per-minute limit"
    return f"{scope}: rate limit reached, capacity in {wait:.2f}s"

"""A circuit breaker per provider.

    closed ──(failure_threshold consecutive failures)──► open
    open ──(reset_timeout elapsed; the next allow())──► half_open, admitting ONE probe
    half_open ──probe succeeds──► closed        half_open ──probe fails──► open (timer restarts)

While a probe is in flight every other caller is refused, so a recovering provider sees one request,
not a stampede. A probe that ends without a verdict (cancelled, or the request itself was at fault)
must call release() so the next caller may probe.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any


class BreakerState(enum.Enum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"

    @property
    def code(self) -> int:
        """For a gauge: 0 closed, 1 half-open, 2 open."""
        return _CODES[self]


_CODES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int,
        reset_timeout: float,
        clock: Callable[[], float],
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self.opened_count = 0
        """How many times the circuit opened since start (never reset)."""

    @property
    def state(self) -> BreakerState:
        """The state as of now: an open circuit whose timeout ran out reads as half-open."""
        if self._state is BreakerState.OPEN and self._timed_out():
            return BreakerState.HALF_OPEN
        return self._state

    def allow(self) -> bool:
        """May a call go through now? In half-open, True for the single probe only."""
        if self._state is BreakerState.CLOSED:
            return True
        if self._state is BreakerState.OPEN:
            if not self._timed_out():
                return False
            self._state = BreakerState.HALF_OPEN
            self._probing = False
        if self._probing:
            return False
        self._probing = True
        return True

    def record_success(self) -> None:
        self._failures = 0
        self._probing = False
        self._state = BreakerState.CLOSED

    def record_failure(self) -> None:
        self._probing = False
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
            self._open()

    def release(self) -> None:
        """The admitted call ended without saying anything about the provider's health."""
        self._probing = False

    def retry_in(self) -> float:
        """Seconds until an open circuit admits a probe (0 when it would now)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.reset_timeout - self._clock())

    def snapshot(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "consecutive_failures": self._failures,
            "failure_threshold": self.failure_threshold,
            "retry_in_s": round(self.retry_in(), 3),
            "opened_count": self.opened_count,
        }

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self.opened_count += 1

    def _timed_out(self) -> bool:
        return self._clock() - self._opened_at >= self.reset_timeout

"""Retries: exponential backoff with full jitter, Retry-After honoured, ONE budget per request.

The budget counts provider calls across every fallback of one request, so a request never makes
more than `max_attempts` calls however many providers are configured (LiteLLM multiplies
num_retries by the number of fallbacks). Moving to another provider costs an attempt but no wait;
only going back to a provider already tried waits, for
    max(Retry-After, uniform(0, min(max_delay, base_delay * 2**n)))
and a Retry-After longer than `max_retry_after` is not waited for at all: that provider is left.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from mapekd.llm.config import RetrySettings
from mapekd.llm.errors import ProviderError

Sleep = Callable[[float], Awaitable[None]]


def retry_after(exc: BaseException) -> float | None:
    """The server's Retry-After in seconds, if the error carries one."""
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


class RetryBudget:
    """The attempts left to one request, and the waits between them."""

    def __init__(self, settings: RetrySettings, *, rng: random.Random, sleep: Sleep) -> None:
        self._settings = settings
        self._rng = rng
        self._sleep = sleep
        self.left = settings.max_attempts
        self.retries = 0
        """Waits taken so far (the exponent of the next backoff)."""
        self.waited_s = 0.0

    def take(self) -> bool:
        """Spend one attempt; False when none is left."""
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def backoff(self, exc: BaseException | None) -> float | None:
        """The wait before calling again a provider that failed with `exc`; None: don't."""
        hint = retry_after(exc) if exc is not None else None
        if hint is not None and hint > self._settings.max_retry_after:
            return None
        cap = min(self._settings.max_delay, self._settings.base_delay * (2**self.retries))
        jitter = self._rng.uniform(0.0, cap)
        return max(jitter, hint or 0.0)

    async def wait(self, delay: float) -> None:
        self.retries += 1
        self.waited_s += delay
        if delay > 0:
            await self._sleep(delay)

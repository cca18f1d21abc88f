from __future__ import annotations

import random

from mapekd.llm.config import RetrySettings
from mapekd.llm.errors import BadRequest, RateLimited, ServerError
from mapekd.llm.retry import RetryBudget, is_retryable, retry_after

from .doubles import FakeClock, FakeSleep


def budget(**kw: float) -> tuple[RetryBudget, FakeSleep]:
    sleep = FakeSleep(FakeClock())
    settings = RetrySettings.model_validate({"max_attempts": 3, "base_delay": 1, **kw})
    return RetryBudget(settings, rng=random.Random(1), sleep=sleep), sleep


def test_budget_counts_attempts() -> None:
    b, _ = budget()
    assert [b.take(), b.take(), b.take(), b.take()] == [True, True, True, False]
    assert b.left == 0


def test_full_jitter_is_bounded_by_exponential_cap() -> None:
    b, _ = budget(max_delay=3)
    for n in range(6):
        b.retries = n
        delays = [b.backoff(None) for _ in range(200)]
        cap = min(3.0, 1.0 * 2**n)
        assert all(d is not None and 0 <= d <= cap for d in delays)
        assert max(d for d in delays if d is not None) > cap * 0.8  # really spread to the cap


def test_retry_after_is_a_floor_and_a_long_one_is_not_waited() -> None:
    b, _ = budget(max_retry_after=30)
    assert b.backoff(RateLimited("p", "slow down", retry_after=7.0)) >= 7.0  # type: ignore[operator]
    assert b.backoff(RateLimited("p", "slow down", retry_after=31.0)) is None
    assert retry_after(ServerError("p", "x")) is None


async def test_wait_uses_the_injected_sleep() -> None:
    b, sleep = budget()
    await b.wait(0.5)
    await b.wait(0.0)
    assert sleep.calls == [0.5] and b.retries == 2 and b.waited_s == 0.5


def test_retryable_flags() -> None:
    assert is_retryable(ServerError("p", "x"))
    assert not is_retryable(BadRequest("p", "x"))
    assert not is_retryable(ValueError())

"""The three algorithms, RPM and TPM, reservation and settlement: all on an injected clock."""

from __future__ import annotations

import math

import pytest

from mapekd.errors import ConfigError
from mapekd.llm.limits import (
    FixedWindow,
    RateLimiter,
    Reservation,
    SlidingWindow,
    TokenBucket,
    estimate_call,
    make_meter,
    try_reserve,
)

from .doubles import FakeClock, ask

ALGORITHMS = ["token_bucket", "sliding_window", "fixed_window"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_limit_is_enforced_then_recovers(algorithm: str) -> None:
    meter = make_meter(algorithm, 3, now=0.0)
    for _ in range(3):
        assert meter.wait_time(0.0, 1) == 0
        meter.take(0.0, 1)
    wait = meter.wait_time(0.0, 1)
    assert 0 < wait <= 60
    assert meter.wait_time(wait, 1) == 0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_an_amount_above_the_limit_never_fits(algorithm: str) -> None:
    assert math.isinf(make_meter(algorithm, 100, now=0).wait_time(0, 101))


def test_unknown_algorithm_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        make_meter("leaky", 1, now=0)


def test_token_bucket_refills_continuously() -> None:
    bucket = TokenBucket(60, now=0)
    bucket.take(0, 60)
    assert bucket.wait_time(0, 1) == pytest.approx(1.0)
    assert bucket.wait_time(0.5, 1) == pytest.approx(0.5)
    assert bucket.available(30) == pytest.approx(30)


def test_sliding_window_waits_for_the_oldest_entries_to_expire() -> None:
    window = SlidingWindow(10, now=0)
    window.take(0, 4)
    window.take(20, 6)
    assert window.wait_time(30, 3) == pytest.approx(30)  # the 4 at t=0 leave at t=60
    assert window.wait_time(30, 5) == pytest.approx(50)  # needs the 6 at t=20 gone too
    assert window.wait_time(60, 4) == 0


def test_fixed_window_resets_on_the_minute_boundary() -> None:
    window = FixedWindow(2, now=0)
    window.take(10, 2)
    assert window.wait_time(50, 1) == pytest.approx(10)
    assert window.wait_time(60, 2) == 0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_settlement_returns_unused_reserved_tokens(algorithm: str) -> None:
    meter = make_meter(algorithm, 1000, now=0)
    ticket = meter.take(0, 800)  # reserved with max_tokens
    assert meter.wait_time(0, 300) > 0
    meter.settle(1, ticket, 150)  # real usage
    assert meter.wait_time(1, 300) == 0
    assert ticket.amount == 150


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_settlement_charges_overshoot(algorithm: str) -> None:
    meter = make_meter(algorithm, 1000, now=0)
    ticket = meter.take(0, 100)
    meter.settle(0, ticket, 900)
    assert meter.wait_time(0, 200) > 0


def test_rate_limiter_needs_both_rpm_and_tpm() -> None:
    clock = FakeClock(0)
    limiter = RateLimiter("p", rpm=2, tpm=1000, algorithm="sliding_window", clock=clock)
    assert isinstance(try_reserve([limiter], 400), Reservation)
    assert isinstance(try_reserve([limiter], 400), Reservation)
    wait = try_reserve([limiter], 10)  # tokens fit, requests do not
    assert isinstance(wait, float) and wait == pytest.approx(60)
    clock.advance(60)
    assert isinstance(try_reserve([limiter], 900), Reservation)
    assert isinstance(try_reserve([limiter], 200), float)  # requests fit, tokens do not


def test_reservation_is_all_or_nothing_across_scopes() -> None:
    clock = FakeClock(0)
    provider = RateLimiter("p", rpm=None, tpm=1000, algorithm="token_bucket", clock=clock)
    key = RateLimiter("p[key 0]", rpm=None, tpm=100, algorithm="token_bucket", clock=clock)
    assert isinstance(try_reserve([provider, key], 150), float)
    assert provider.snapshot()["tpm"]["available"] == 1000  # nothing taken anywhere
    got = try_reserve([provider, key], 80)
    assert isinstance(got, Reservation)
    assert provider.snapshot()["tpm"]["available"] == 920
    got.settle(30)
    got.settle(999)  # idempotent
    assert provider.snapshot()["tpm"]["available"] == 970
    assert key.snapshot()["tpm"]["available"] == 70


def test_estimate_reserves_input_plus_max_tokens() -> None:
    request = ask("x" * 40, max_tokens=100)
    assert estimate_call(request) == 10 + 4 + 100

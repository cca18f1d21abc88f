from __future__ import annotations

from mapekd.llm.breaker import BreakerState, CircuitBreaker

from .doubles import FakeClock


def make(clock: FakeClock, threshold: int = 3, reset: float = 30.0) -> CircuitBreaker:
    return CircuitBreaker("p", failure_threshold=threshold, reset_timeout=reset, clock=clock)


def test_opens_after_n_consecutive_failures_only() -> None:
    clock = FakeClock()
    b = make(clock)
    b.record_failure()
    b.record_failure()
    b.record_success()  # resets the streak
    b.record_failure()
    b.record_failure()
    assert b.state is BreakerState.CLOSED and b.allow()
    b.record_failure()
    assert b.state is BreakerState.OPEN
    assert not b.allow()
    assert b.opened_count == 1


def test_half_open_admits_a_single_probe_then_closes_on_success() -> None:
    clock = FakeClock()
    b = make(clock, threshold=1)
    b.record_failure()
    clock.advance(29.9)
    assert not b.allow() and b.retry_in() > 0
    clock.advance(0.1)
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow()  # the probe
    assert not b.allow()  # everyone else waits for its verdict
    assert not b.allow()
    b.record_success()
    assert b.state is BreakerState.CLOSED
    assert b.allow() and b.allow()


def test_failed_probe_reopens_and_restarts_the_timer() -> None:
    clock = FakeClock()
    b = make(clock, threshold=2, reset=10)
    b.record_failure()
    b.record_failure()
    clock.advance(10)
    assert b.allow()
    clock.advance(5)
    b.record_failure()  # one failure in half-open is enough
    assert b.state is BreakerState.OPEN
    clock.advance(9.9)
    assert not b.allow()
    clock.advance(0.1)
    assert b.allow()
    assert b.opened_count == 2


def test_release_frees_the_probe_slot_without_a_verdict() -> None:
    clock = FakeClock()
    b = make(clock, threshold=1, reset=1)
    b.record_failure()
    clock.advance(1)
    assert b.allow()
    b.release()
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow()


def test_snapshot_and_gauge_codes() -> None:
    clock = FakeClock()
    b = make(clock, threshold=1, reset=5)
    assert b.snapshot()["state"] == "closed" and b.state.code == 0
    b.record_failure()
    snap = b.snapshot()
    assert snap["state"] == "open" and snap["retry_in_s"] == 5.0 and b.state.code == 2
    clock.advance(5)
    assert b.snapshot()["state"] == "half_open" and b.state.code == 1

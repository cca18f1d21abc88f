"""The watchdog pinger pings only while cycles complete, and not at all from a blocked loop."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from tests.service.conftest import NotifyListener

from mapekd.service.notify import Notifier
from mapekd.service.watchdog import Watchdog, watchdog_period


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("env", "period"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 30.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "4242"}, 2.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}, None),  # armed for another process
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_period_from_the_environment(env: dict[str, str], period: float | None) -> None:
    assert watchdog_period(env, pid=4242) == period


def test_pings_only_while_a_cycle_completed_recently(
    listener: NotifyListener, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    notifier = Notifier(listener.address)
    dog = Watchdog(notifier, period=10.0, interval=5.0, clock=clock)
    assert dog.allowed_gap == 15.0  # 3 x interval beats the period here
    try:
        with caplog.at_level(logging.WARNING, logger="mapekd.service"):
            clock.now += 15.0
            assert dog.tick(), "healthy right at the edge of the allowed gap"
            clock.now += 0.1
            assert not dog.tick() and not dog.tick(), "a stuck cycle must stop the pings"
            dog.cycle_completed(interval=1.0)  # a reload shortened the interval
            assert dog.allowed_gap == 10.0
            assert dog.tick()
            clock.now += 10.1
            assert not dog.tick()
    finally:
        notifier.close()
    listener.wait("WATCHDOG", "1")
    assert len(listener.received("WATCHDOG", "1")) == 2
    events = [getattr(r, "event", {}).get("event") for r in caplog.records]
    assert events == ["watchdog_withheld", "watchdog_resumed", "watchdog_withheld"]


async def test_a_blocked_event_loop_sends_no_pings(listener: NotifyListener) -> None:
    notifier = Notifier(listener.address)
    dog = Watchdog(notifier, period=0.2, interval=60.0)  # cycles count as recent throughout
    dog.start()
    try:
        await _ping_after(listener, 0.0)
        blocked_at = time.monotonic()
        time.sleep(1.5)  # the event loop itself is stuck: nothing on it runs
        unblocked_at = time.monotonic()
        await _ping_after(listener, unblocked_at)
    finally:
        await dog.stop()
        notifier.close()
    # Pings sent just before the block may still be in flight briefly; none is sent during it.
    during = listener.received("WATCHDOG", "1", after=blocked_at + 0.2)
    assert [m for m in during if m.at < unblocked_at] == []


async def _ping_after(listener: NotifyListener, after: float) -> None:
    """Wait without blocking the loop the pinger runs on."""
    async with asyncio.timeout(10):
        while not listener.received("WATCHDOG", "1", after=after):
            await asyncio.sleep(0.02)

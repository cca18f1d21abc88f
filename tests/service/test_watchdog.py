"""The watchdog pinger pings only while every check group completes its collections in time, and
not at all from a blocked loop."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from tests.conftest import wait_for
from tests.service.conftest import NotifyListener

from mapekd.schedule.freshness import Freshness
from mapekd.service.sd_notify import SdNotify
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


def test_pings_only_while_every_group_completed_recently(
    listener: NotifyListener, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    fresh = Freshness(clock)
    fresh.expect([1.0, 30.0])  # an HTTP check every second beside host metrics every 30 s
    sd_notify = SdNotify(listener.address)
    dog = Watchdog(sd_notify, period=2.0, freshness=fresh)
    assert (dog.allowance(1.0), dog.allowance(30.0)) == (3.0, 90.0)  # the period or 3 intervals
    try:
        with caplog.at_level(logging.WARNING, logger="mapekd.service"):
            clock.now += 3.0
            assert dog.tick(), "healthy right at the edge of the 1 s group's allowance"
            clock.now += 0.1
            assert not dog.tick() and not dog.tick(), "the 1 s group hung: no ping, the 30 s one is on time"
            fresh.completed(1.0)
            assert dog.tick()
            clock.now += 60.0
            fresh.completed(1.0)
            assert dog.tick(), "the 30 s group is still within its 90 s"
            clock.now += 30.1
            fresh.completed(1.0)
            assert not dog.tick(), "the 30 s group is late although the 1 s one is fresh"
    finally:
        sd_notify.close()
    wait_for(lambda: len(listener.received("WATCHDOG", "1")) >= 3, message="the pings sent")
    assert len(listener.received("WATCHDOG", "1")) == 3  # one per healthy tick, none withheld
    events = [getattr(r, "event", {}) for r in caplog.records]
    assert [e.get("event") for e in events] == ["watchdog_withheld", "watchdog_resumed", "watchdog_withheld"]
    assert events[0]["groups"] == ["checks@1s"] and events[2]["groups"] == ["checks@30s"]


async def test_a_blocked_event_loop_sends_no_pings(listener: NotifyListener) -> None:
    sd_notify = SdNotify(listener.address)
    fresh = Freshness()
    fresh.expect([60.0])  # collections count as recent throughout
    dog = Watchdog(sd_notify, period=0.2, freshness=fresh)
    dog.start()
    try:
        await _ping_after(listener, 0.0)
        blocked_at = time.monotonic()
        time.sleep(1.5)  # the event loop itself is stuck: nothing on it runs
        unblocked_at = time.monotonic()
        await _ping_after(listener, unblocked_at)
    finally:
        await dog.stop()
        sd_notify.close()
    # Pings sent just before the block may still be in flight briefly; none is sent during it.
    during = listener.received("WATCHDOG", "1", after=blocked_at + 0.2)
    assert [m for m in during if m.at < unblocked_at] == []


async def _ping_after(listener: NotifyListener, after: float) -> None:
    """Wait without blocking the loop the pinger runs on."""
    async with asyncio.timeout(10):
        while not listener.received("WATCHDOG", "1", after=after):
            await asyncio.sleep(0.02)

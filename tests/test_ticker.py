"""The cycle clock: a tick at once, then one per interval on a fixed grid; missed ticks skipped;
a new interval counts from the reschedule; stopped, it ticks no more."""

from __future__ import annotations

import asyncio
import time

from mapekd.ticker import Ticker, _next_on_grid


def test_the_next_tick_is_the_first_grid_point_after_now() -> None:
    assert _next_on_grid(100.0, 100.01, 1.0) == 101.0  # on time
    assert _next_on_grid(100.0, 103.5, 1.0) == 104.0  # blocked 3.5 s: three ticks skipped
    assert _next_on_grid(100.0, 101.0, 1.0) == 102.0  # exactly on the next point: that one is past


async def test_ticks_at_once_then_on_the_interval_and_stops() -> None:
    ticks: list[float] = []
    ticker = Ticker(lambda: ticks.append(time.monotonic()), 0.1)
    started = time.monotonic()
    ticker.start()
    await asyncio.sleep(0.01)
    assert len(ticks) == 1 and ticks[0] - started < 0.05  # at once
    await asyncio.sleep(0.5)
    assert 4 <= len(ticks) <= 7  # about one per 0.1 s, on a loaded machine too
    ticker.stop()
    count = len(ticks)
    await asyncio.sleep(0.3)
    assert len(ticks) == count


async def test_a_slow_tick_does_not_shift_the_grid_and_an_error_does_not_stop_it() -> None:
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(time.monotonic())
        if len(ticks) == 2:
            time.sleep(0.25)  # blocks the loop past two grid points
            raise RuntimeError("one bad tick")

    ticker = Ticker(tick, 0.1)
    ticker.start()
    await asyncio.sleep(0.75)
    ticker.stop()
    offsets = [round((t - ticks[0]) / 0.1, 1) for t in ticks]
    assert offsets[:2] == [0.0, 1.0]
    assert offsets[2] >= 4.0  # points 2 and 3 were missed while blocked: skipped, not made up
    assert all(abs(o - round(o)) <= 0.4 for o in offsets)  # still on the grid (drift would be 0.5)


async def test_reschedule_counts_the_new_interval_from_now() -> None:
    ticks: list[float] = []
    ticker = Ticker(lambda: ticks.append(time.monotonic()), 10.0)
    ticker.start()
    await asyncio.sleep(0.01)
    assert len(ticks) == 1
    changed = time.monotonic()
    ticker.reschedule(0.1)
    await asyncio.sleep(0.05)
    assert len(ticks) == 1  # not at once
    await asyncio.sleep(0.12)
    ticker.stop()
    assert len(ticks) >= 2 and ticks[1] - changed >= 0.09

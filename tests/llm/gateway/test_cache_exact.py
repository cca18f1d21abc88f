from __future__ import annotations

import asyncio

import pytest

from mapekd.llm.cache import ExactCache, SingleFlight

from .doubles import FakeClock


def test_lru_evicts_the_least_recently_used() -> None:
    cache: ExactCache[str] = ExactCache(max_entries=2, ttl=60, clock=FakeClock())
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # a is now the most recent
    cache.put("c", "C")
    assert cache.get("b") is None
    assert cache.get("a") == "A" and cache.get("c") == "C"
    assert cache.evictions == 1


def test_ttl_expires_entries() -> None:
    clock = FakeClock()
    cache: ExactCache[str] = ExactCache(max_entries=10, ttl=60, clock=clock)
    cache.put("a", "A")
    clock.advance(59.9)
    assert cache.get("a") == "A"
    clock.advance(0.1)
    assert cache.get("a") is None
    assert cache.expirations == 1 and len(cache) == 0


def test_stats() -> None:
    cache: ExactCache[str] = ExactCache(max_entries=10, ttl=60, clock=FakeClock())
    cache.get("x")
    cache.put("x", "X")
    cache.get("x")
    cache.get("x")
    snap = cache.snapshot()
    assert (snap["hits"], snap["misses"], snap["hit_rate"]) == (2, 1, pytest.approx(0.6667))


async def test_single_flight_runs_concurrent_identical_work_once() -> None:
    flight: SingleFlight[str] = SingleFlight()
    started = asyncio.Event()
    release = asyncio.Event()
    runs = 0

    async def work() -> str:
        nonlocal runs
        runs += 1
        started.set()
        await release.wait()
        return "answer"

    tasks = [asyncio.create_task(flight.run("k", work)) for _ in range(5)]
    await started.wait()
    assert flight.in_flight() == 1
    release.set()
    results = await asyncio.gather(*tasks)
    assert runs == 1
    assert sorted(shared for _, shared in results) == [False, True, True, True, True]
    assert {value for value, _ in results} == {"answer"}
    assert flight.in_flight() == 0


async def test_single_flight_shares_failures_too() -> None:
    flight: SingleFlight[str] = SingleFlight()
    gate = asyncio.Event()

    async def work() -> str:
        await gate.wait()
        raise RuntimeError("boom")

    tasks = [asyncio.create_task(flight.run("k", work)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_a_cancelled_leader_does_not_cancel_its_followers() -> None:
    flight: SingleFlight[str] = SingleFlight()
    gate = asyncio.Event()
    runs = 0

    async def work() -> str:
        nonlocal runs
        runs += 1
        await gate.wait()
        return f"run {runs}"

    leader = asyncio.create_task(flight.run("k", work))
    await asyncio.sleep(0)
    follower = asyncio.create_task(flight.run("k", work))
    await asyncio.sleep(0)
    leader.cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    gate.set()
    assert await follower == ("run 2", False)  # it ran the work itself
    with pytest.raises(asyncio.CancelledError):
        await leader

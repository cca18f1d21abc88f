from __future__ import annotations

import random
from collections import Counter

import pytest

from mapekd.llm.config import RoutingSettings
from mapekd.llm.routing import (
    STRATEGIES,
    Failover,
    LeastLatency,
    RandomOrder,
    RoundRobin,
    Weighted,
    build_strategy,
)

NAMES = ["a", "b", "c"]


def test_failover_keeps_the_configured_order() -> None:
    assert Failover().order(NAMES) == NAMES


def test_round_robin_rotates_the_first_choice() -> None:
    rr = RoundRobin()
    assert [rr.order(NAMES) for _ in range(4)] == [
        ["a", "b", "c"],
        ["b", "c", "a"],
        ["c", "a", "b"],
        ["a", "b", "c"],
    ]
    assert rr.order([]) == []


def test_least_latency_explores_unmeasured_first_then_lowest_ewma() -> None:
    ll = LeastLatency(alpha=0.5)
    ll.observe("a", 0.30)
    ll.observe("c", 0.10)
    assert ll.order(NAMES) == ["b", "c", "a"]
    ll.observe("b", 0.20)
    assert ll.order(NAMES) == ["c", "b", "a"]
    ll.observe("c", 0.50)  # ewma 0.30
    ll.observe("c", 0.50)  # ewma 0.40
    assert ll.order(NAMES) == ["b", "a", "c"]
    assert ll.ewma["c"] == pytest.approx(0.40)


def test_random_covers_every_first_choice() -> None:
    strategy = RandomOrder(random.Random(3))
    firsts = Counter(strategy.order(NAMES)[0] for _ in range(300))
    assert set(firsts) == set(NAMES)
    assert all(sorted(strategy.order(NAMES)) == NAMES for _ in range(10))


def test_weighted_first_choice_follows_weights() -> None:
    strategy = Weighted({"a": 8, "b": 2, "c": 0}, random.Random(5))
    firsts = Counter(strategy.order(NAMES)[0] for _ in range(2000))
    assert firsts["c"] == 0
    assert 0.75 < firsts["a"] / 2000 < 0.85
    assert strategy.order(NAMES)[-1] == "c"  # weight 0: still the last fallback


def test_registry_builds_every_strategy() -> None:
    for name in STRATEGIES:
        strategy = build_strategy(RoutingSettings(strategy=name), random.Random(0))  # type: ignore[arg-type]
        assert sorted(strategy.order(NAMES)) == NAMES

"""Routing strategies, one per file, chosen by name from the registry below."""

from __future__ import annotations

import random
from collections.abc import Callable

from mapekd.errors import ConfigError
from mapekd.llm.config import RoutingSettings
from mapekd.llm.routing.base import Strategy
from mapekd.llm.routing.failover import Failover
from mapekd.llm.routing.least_latency import LeastLatency
from mapekd.llm.routing.random_choice import RandomOrder
from mapekd.llm.routing.round_robin import RoundRobin
from mapekd.llm.routing.weighted import Weighted

__all__ = [
    "STRATEGIES",
    "Failover",
    "LeastLatency",
    "RandomOrder",
    "RoundRobin",
    "Strategy",
    "Weighted",
    "build_strategy",
]

STRATEGIES: dict[str, Callable[[RoutingSettings, random.Random], Strategy]] = {
    "failover": lambda s, rng: Failover(),
    "round_robin": lambda s, rng: RoundRobin(),
    "least_latency": lambda s, rng: LeastLatency(s.ewma_alpha),
    "random": lambda s, rng: RandomOrder(rng),
    "weighted": lambda s, rng: Weighted(s.weights, rng),
}


def build_strategy(settings: RoutingSettings, rng: random.Random) -> Strategy:
    factory = STRATEGIES.get(settings.strategy)
    if factory is None:
        known = ", ".join(sorted(STRATEGIES))
        raise ConfigError(
            f"unknown strategy {settings.strategy!r} (known: {known})", path="llm.routing.strategy"
        )
    return factory(settings, rng)

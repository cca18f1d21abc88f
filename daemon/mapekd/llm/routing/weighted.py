"""Weighted: a random order where a provider comes first with probability weight / sum(weights).

Sampling without replacement by Efraimidis-Spirakis keys u**(1/w); a provider of weight 0 is
never first but stays the last fallback."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from mapekd.llm.routing.base import Stateless


class Weighted(Stateless):
    def __init__(self, weights: Mapping[str, float], rng: random.Random) -> None:
        self._weights = dict(weights)
        self._rng = rng

    def order(self, names: Sequence[str]) -> list[str]:
        def key(name: str) -> float:
            weight = self._weights.get(name, 1.0)
            if weight <= 0:
                return -1.0
            return float(self._rng.random() ** (1.0 / weight))

        return sorted(names, key=key, reverse=True)

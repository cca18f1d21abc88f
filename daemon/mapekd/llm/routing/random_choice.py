"""Random: a uniformly shuffled order per request (the others remain fallbacks)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from mapekd.llm.routing.base import Stateless


class RandomOrder(Stateless):
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def order(self, names: Sequence[str]) -> list[str]:
        out = list(names)
        self._rng.shuffle(out)
        return out

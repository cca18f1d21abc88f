"""Round robin: each request starts one provider further; the others follow as fallbacks."""

from __future__ import annotations

from collections.abc import Sequence

from mapekd.llm.routing.base import Stateless


class RoundRobin(Stateless):
    def __init__(self) -> None:
        self._next = 0

    def order(self, names: Sequence[str]) -> list[str]:
        if not names:
            return []
        start = self._next % len(names)
        self._next += 1
        return [*names[start:], *names[:start]]

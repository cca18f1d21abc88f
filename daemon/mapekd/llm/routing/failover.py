"""Failover: always the configured order; the next provider only when the previous one failed."""

from __future__ import annotations

from collections.abc import Sequence

from mapekd.llm.routing.base import Stateless


class Failover(Stateless):
    def order(self, names: Sequence[str]) -> list[str]:
        return list(names)

"""The routing seam: order the candidate providers of one request; learn from latencies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Strategy(Protocol):
    def order(self, names: Sequence[str]) -> list[str]:
        """`names` (in configured order) rearranged: the first is tried first."""
        ...

    def observe(self, name: str, latency_s: float) -> None:
        """A finished call's latency (successes, and timeouts at their full cost)."""
        ...


class Stateless:
    """Mixin for strategies that ignore latencies."""

    def observe(self, name: str, latency_s: float) -> None:
        return None

"""Least latency: lowest EWMA of observed latencies first.

Providers with no figure yet come first (in configured order), so each gets measured instead of
the first fast one winning forever; a timeout counts at its full duration."""

from __future__ import annotations

from collections.abc import Sequence


class LeastLatency:
    def __init__(self, alpha: float = 0.3) -> None:
        self.alpha = alpha
        self.ewma: dict[str, float] = {}

    def order(self, names: Sequence[str]) -> list[str]:
        fresh = [n for n in names if n not in self.ewma]
        known = sorted((n for n in names if n in self.ewma), key=self.ewma.__getitem__)
        return fresh + known

    def observe(self, name: str, latency_s: float) -> None:
        old = self.ewma.get(name)
        self.ewma[name] = latency_s if old is None else old + self.alpha * (latency_s - old)

"""Trend rule: a least-squares line over `window` predicts `field` reaching `threshold`
within `horizon` (a disk filling up, memory leaking)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mapekd.analyze.history import History
from mapekd.analyze.rules.base import ConfiguredRule, RuleResult, make_symptom
from mapekd.config.rules import TrendRuleConfig
from mapekd.model import Sample, Symptom


def fit_line(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """(slope, intercept) of the least-squares line, None for fewer than two distinct x."""
    n = len(points)
    if n < 2:
        return None
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    return slope, mean_y - slope * mean_x


class TrendRule(ConfiguredRule):
    def __init__(self, config: TrendRuleConfig) -> None:
        super().__init__(config)
        self.config = config

    def evaluate(self, history: History, now: float) -> RuleResult:
        result = RuleResult()
        for target in history.targets(self.check):
            eta = self.eta(history.series(self.check, target), now)
            if eta is None:
                continue
            if eta <= self.config.horizon:
                message = self.config.message or (
                    f"{self.config.field} on {target} forecast to reach "
                    f"{self.config.threshold:g} in {eta:.0f}s"
                )
                result.firing.append(
                    make_symptom(
                        self.name,
                        target,
                        self.config.severity,
                        message,
                        {"eta_s": round(eta, 1), "threshold": self.config.threshold},
                        now,
                    )
                )
            else:
                result.clear.add(target)
        return result

    def eta(self, series: Sequence[Sample], now: float) -> float | None:
        """Seconds until the forecast crosses the threshold (0 if already there, inf if never);
        None when there are too few samples to say."""
        points = [
            (s.ts - now, float(v))
            for s in series
            if s.ts >= now - self.config.window
            and isinstance(v := s.fields.get(self.config.field), int | float)
        ]
        if len(points) < self.config.min_samples:
            return None
        line = fit_line(points)
        if line is None:
            return None
        slope, current = line  # x is relative to now, so the intercept is the value now
        gap = self.config.threshold - current
        if gap <= 0:
            return 0.0
        return gap / slope if slope > 0 else float("inf")

    def holds_now(self, sample: Sample) -> bool | None:
        value = sample.fields.get(self.config.field)
        if not isinstance(value, int | float):
            return None
        return value >= self.config.threshold

    def situation_facts(self, symptom: Symptom) -> dict[str, Any] | None:
        return {
            "field": self.config.field,
            "threshold": self.config.threshold,
            "eta_s": symptom.fields.get("eta_s"),
        }

"""Threshold rule: `when` held continuously for `for` (debounce)."""

from __future__ import annotations

from collections.abc import Sequence

from mapekd.analyze.history import History
from mapekd.analyze.rules.base import ConditionRule, RuleResult, make_symptom
from mapekd.analyze.rules.condition import condition_on, relevant_fields
from mapekd.config.rules import ThresholdRuleConfig
from mapekd.model import Sample


class ThresholdRule(ConditionRule):
    def __init__(self, config: ThresholdRuleConfig) -> None:
        super().__init__(config, config.when)
        self.config = config

    def evaluate(self, history: History, now: float) -> RuleResult:
        result = RuleResult()
        for target in history.targets(self.check):
            series = history.series(self.check, target)
            latest = condition_on(self.expr, series[-1])
            if latest is False:
                result.clear.add(target)
            elif latest and self._held_since(series) <= now - self.config.for_:
                sample = series[-1]
                message = self.config.message or f"{self.config.when} on {target}"
                result.firing.append(
                    make_symptom(
                        self.name,
                        target,
                        self.config.severity,
                        message,
                        relevant_fields(self.expr, sample),
                        now,
                    )
                )
        return result

    def _held_since(self, series: Sequence[Sample]) -> float:
        """Timestamp of the first sample of the current uninterrupted run where `when` holds."""
        since = float("inf")
        for sample in reversed(series):
            if condition_on(self.expr, sample) is not True:
                break
            since = sample.ts
        return since

    def holds_now(self, sample: Sample) -> bool | None:
        return condition_on(self.expr, sample)

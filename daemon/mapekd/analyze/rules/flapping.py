"""Flapping rule: `when` became true at least `times` times within `within`."""

from __future__ import annotations

from collections.abc import Sequence

from mapekd.analyze.history import History
from mapekd.analyze.rules.base import ConditionRule, RuleResult, make_symptom
from mapekd.analyze.rules.condition import condition_on
from mapekd.config.rules import FlappingRuleConfig
from mapekd.model import Sample


class FlappingRule(ConditionRule):
    def __init__(self, config: FlappingRuleConfig) -> None:
        super().__init__(config, config.when)
        self.config = config

    def evaluate(self, history: History, now: float) -> RuleResult:
        result = RuleResult()
        for target in history.targets(self.check):
            onsets = self.onsets(history.series(self.check, target), since=now - self.config.within)
            if onsets >= self.config.times:
                message = self.config.message or (
                    f"{self.config.when} began {onsets} times within {self.config.within:g}s"
                )
                result.firing.append(
                    make_symptom(self.name, target, self.config.severity, message, {"onsets": onsets}, now)
                )
            else:
                result.clear.add(target)
        return result

    def onsets(self, series: Sequence[Sample], *, since: float) -> int:
        """How many times the condition went from not-true to true at or after `since`."""
        count, previous = 0, False
        for sample in series:
            current = condition_on(self.expr, sample) is True
            if current and not previous and sample.ts >= since:
                count += 1
            previous = current
        return count

    def holds_now(self, sample: Sample) -> bool | None:
        # Flapping is a property of a window, not of one sample: the fresh sample shows whether
        # the underlying condition is gone.
        return condition_on(self.expr, sample)

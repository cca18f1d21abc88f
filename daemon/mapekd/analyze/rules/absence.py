"""Absence rule: the check produced no successful sample for `after` (it stopped reporting)."""

from __future__ import annotations

from mapekd.analyze.history import History
from mapekd.analyze.rules.base import ConfiguredRule, RuleResult, make_symptom
from mapekd.config.rules import AbsenceRuleConfig
from mapekd.model import Sample


class AbsenceRule(ConfiguredRule):
    def __init__(self, config: AbsenceRuleConfig) -> None:
        super().__init__(config)
        self.config = config
        self.target = f"check:{config.check}"

    def evaluate(self, history: History, now: float) -> RuleResult:
        result = RuleResult()
        last = history.last_good(self.check)
        silent_since = last if last is not None else history.started_at
        if now - silent_since >= self.config.after:
            message = self.config.message or (
                f"check {self.check} has not reported for {now - silent_since:.0f}s"
            )
            result.firing.append(
                make_symptom(
                    self.name,
                    self.target,
                    self.config.severity,
                    message,
                    {"silent_s": round(now - silent_since, 3)},
                    now,
                )
            )
        else:
            result.clear.add(self.target)
        return result

    def holds_now(self, sample: Sample) -> bool | None:
        return sample.error is not None

"""The Rule seam. A rule reads the history and says, per target, firing / clear / unknown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from mapekd.analyze.expr import Expression, compile_expression
from mapekd.analyze.history import History
from mapekd.config.rules import RuleBase
from mapekd.model import FieldValue, Sample, Severity, Symptom


@dataclass
class RuleResult:
    firing: list[Symptom] = field(default_factory=list)
    clear: set[str] = field(default_factory=set)
    """Targets where the rule positively does not hold. Targets in neither list are unknown
    (e.g. the check failed): their incidents stay as they are."""


class Rule(Protocol):
    name: str
    check: str
    remedies: list[str]

    def evaluate(self, history: History, now: float) -> RuleResult: ...

    def holds_now(self, sample: Sample) -> bool | None:
        """Verification: does the rule's condition hold on this fresh sample (None: unknown)?"""
        ...

    def situation_facts(self, symptom: Symptom) -> dict[str, Any] | None:
        """What the prompts see of this rule beyond the symptom (a trend's field, threshold and
        time to reach it); None for a rule with nothing more to say."""
        ...


def make_symptom(
    name: str,
    target: str,
    severity: Severity,
    message: str,
    fields: dict[str, FieldValue],
    now: float,
) -> Symptom:
    return Symptom(rule=name, target=target, severity=severity, message=message, fields=fields, ts=now)


class ConfiguredRule:
    """What every rule keeps from its configuration."""

    def __init__(self, config: RuleBase) -> None:
        self.name = config.name
        self.check = config.check
        self.remedies = list(config.remedies)

    def situation_facts(self, symptom: Symptom) -> dict[str, Any] | None:
        return None


class ConditionRule(ConfiguredRule):
    """A rule built on a `when` expression."""

    def __init__(self, config: RuleBase, when: str) -> None:
        super().__init__(config)
        self.expr: Expression = compile_expression(when)

"""Rule types by configuration `type`; unknown names raise instead of defaulting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mapekd.analyze.rules.absence import AbsenceRule
from mapekd.analyze.rules.base import Rule
from mapekd.analyze.rules.flapping import FlappingRule
from mapekd.analyze.rules.threshold import ThresholdRule
from mapekd.analyze.rules.trend import TrendRule
from mapekd.config.rules import RuleConfig
from mapekd.errors import ConfigError

RULE_TYPES: dict[str, Callable[[Any], Rule]] = {
    "threshold": ThresholdRule,
    "flapping": FlappingRule,
    "absence": AbsenceRule,
    "trend": TrendRule,
}


def build_rule(config: RuleConfig) -> Rule:
    try:
        factory = RULE_TYPES[config.type]
    except KeyError:
        raise ConfigError(f"unknown rule type {config.type!r}", path=f"rules.{config.name}") from None
    return factory(config)


def lookback(configs: list[RuleConfig]) -> float:
    """How far back the history must reach for every rule to see its whole window."""
    spans = [0.0]
    for c in configs:
        spans.append(getattr(c, "for_", 0.0) + getattr(c, "within", 0.0) + getattr(c, "window", 0.0))
    return max(spans) + 60.0

"""Configuration of the Analyze rules, one model per rule type (`type`, default `threshold`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from mapekd.analyze.expr import compile_expression
from mapekd.config.base import Name, StrictModel
from mapekd.config.durations import Duration
from mapekd.errors import RuleError


class RuleBase(StrictModel):
    name: Name
    check: Name
    """The check whose samples this rule reads."""
    severity: Literal["info", "warning", "critical"] = "warning"
    remedies: list[Name] = Field(default_factory=list)
    """Whitelisted actions that may heal this rule's incidents, in order of preference."""
    message: str | None = None


class _ConditionRule(RuleBase):
    when: str
    """Boolean expression over the sample's fields, e.g. `alive == false or cpu_percent > 90`."""

    @field_validator("when")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            compile_expression(value)
        except RuleError as exc:
            raise ValueError(str(exc)) from exc
        return value


class ThresholdRuleConfig(_ConditionRule):
    """Fires when `when` has held continuously for `for` (debounce); clears when it stops holding."""

    type: Literal["threshold"] = "threshold"
    for_: Duration = Field(default=0.0, alias="for")


class FlappingRuleConfig(_ConditionRule):
    """Fires when `when` became true at least `times` times within `within`."""

    type: Literal["flapping"]
    times: int = Field(ge=2)
    within: Duration


class AbsenceRuleConfig(RuleBase):
    """Fires when the check produced no successful sample for `after`."""

    type: Literal["absence"]
    after: Duration


class TrendRuleConfig(RuleBase):
    """Fires when a least-squares line over `window` predicts `field` crossing `threshold` within
    `horizon` (e.g. a disk filling up)."""

    type: Literal["trend"]
    field: Name
    threshold: float
    horizon: Duration
    window: Duration = 600.0
    min_samples: int = Field(default=5, ge=3)


def _rule_type(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("type", "threshold"))
    return str(getattr(value, "type", "threshold"))


RuleConfig = Annotated[
    Annotated[ThresholdRuleConfig, Tag("threshold")]
    | Annotated[FlappingRuleConfig, Tag("flapping")]
    | Annotated[AbsenceRuleConfig, Tag("absence")]
    | Annotated[TrendRuleConfig, Tag("trend")],
    Discriminator(_rule_type),
]

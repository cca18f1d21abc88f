"""Choosing the remedy: candidates from the rule, ranked by what knowledge says worked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from mapekd.knowledge.base import ActionHistory

Source = Literal["rule", "knowledge", "llm", "policy"]


@dataclass(frozen=True)
class Choice:
    action: str
    source: Source
    confidence: float | None
    candidates: list[str] = field(default_factory=list)
    reason: str = ""


def success_score(resolved: int, total: int) -> float:
    """Laplace-smoothed success rate: an untried remedy scores 0.5, one failure doesn't doom it."""
    return (resolved + 1) / (total + 2)


def choose_remedy(
    candidates: list[str], signature: str, queries: ActionHistory, *, prefer_knowledge: bool
) -> Choice | None:
    """The candidate with the best recorded success rate for this signature; ties keep the
    rule's order, so with no history the rule's first remedy wins."""
    if not candidates:
        return None
    rates = queries.success_rates(signature) if prefer_knowledge else {}
    if not rates:
        return Choice(candidates[0], "rule", None, candidates, "first remedy of the rule")
    scores = {name: success_score(*rates.get(name, (0, 0))) for name in candidates}
    best = max(candidates, key=lambda name: scores[name])  # max keeps the first among equals
    resolved, total = rates.get(best, (0, 0))
    reason = f"success {resolved}/{total} for {signature}" if total else "untried; others worse"
    return Choice(best, "knowledge", round(scores[best], 3), candidates, reason)

"""The two decision sources that need no LLM: a remedy proven by knowledge, and the rule's own
remedy order (ranked by the recorded success rate, as before the LLM joined)."""

from __future__ import annotations

from mapekd.config.settings import PlanConfig
from mapekd.plan.proposal import Candidate, Proposal


def success_score(resolved: int, total: int) -> float:
    """Laplace-smoothed success rate: an untried remedy scores 0.5, one failure doesn't doom it."""
    return (resolved + 1) / (total + 2)


def proven_remedy(candidates: list[Candidate], config: PlanConfig) -> Proposal | None:
    """The candidate that resolved this signature at least K times at a rate of at least P (the
    best such one); None when knowledge settles nothing. No LLM call, a few dict look-ups."""
    proven = [
        c
        for c in candidates
        if c.from_rule
        and c.successes >= config.knowledge_min_successes
        and c.successes / c.tries >= config.knowledge_min_rate
    ]
    if not proven:
        return None
    best = max(proven, key=lambda c: (c.successes / c.tries, c.successes))
    return Proposal(
        "act",
        best.name,
        "knowledge",
        f"resolved {best.successes}/{best.tries} times before",
        confidence=round(best.successes / best.tries, 3),
        risk=best.risk,
    )


def rule_remedy(candidates: list[Candidate], *, prefer_knowledge: bool, why: str = "") -> Proposal | None:
    """The rule's remedy with the best Laplace-smoothed success rate; ties keep the rule's order,
    so with no history the first remedy wins. Only the rule's own remedies, never others."""
    own = [c for c in candidates if c.from_rule]
    if not own:
        return None
    best = max(own, key=lambda c: success_score(c.successes, c.tries)) if prefer_knowledge else own[0]
    tried = f"success {best.successes}/{best.tries}" if best.tries else "first untried remedy of the rule"
    reason = f"{why}; {tried}" if why else tried
    return Proposal("act", best.name, "rule", reason, risk=best.risk)

"""The two decision sources that need no LLM: a remedy proven by knowledge, and the rule's own
remedy order (ranked by the recorded success rate, as before the LLM joined)."""

from __future__ import annotations

from mapekd.config.settings import PlanConfig
from mapekd.plan.proposal import Candidate, Proposal


def success_score(resolved: int, total: int) -> float:
    """Laplace-smoothed success rate: an untried remedy scores 0.5, one failure doesn't doom it."""
    return (resolved + 1) / (total + 2)


def proven_remedy(candidates: list[Candidate], config: PlanConfig) -> Proposal | None:
    """The candidate proven for this incident's cause (resolved it at least K times at a rate of
    at least P), else the one proven for its signature whose record for this cause does not
    refute it; the best such one. None when knowledge settles nothing. No LLM call, a few dict
    look-ups."""
    own = [c for c in candidates if c.from_rule]
    for record in (_cause_record, _signature_record):
        proven = [(c, ok, n) for c in own for ok, n in [record(c)] if _proves(ok, n, config)]
        proven = [p for p in proven if not _refuted(p[0], config)]
        if proven:
            best, ok, n = max(proven, key=lambda p: (p[1] / p[2], p[1]))
            whose = "for this cause" if record is _cause_record else "for this signature"
            return Proposal(
                "act",
                best.name,
                "knowledge",
                f"resolved {ok}/{n} times {whose}",
                confidence=round(ok / n, 3),
                risk=best.risk,
            )
    return None


def _cause_record(candidate: Candidate) -> tuple[int, int]:
    return candidate.cause_successes, candidate.cause_tries


def _signature_record(candidate: Candidate) -> tuple[int, int]:
    return candidate.successes, candidate.tries


def _proves(successes: int, tries: int, config: PlanConfig) -> bool:
    return successes >= config.knowledge_min_successes and successes / tries >= config.knowledge_min_rate


def _refuted(candidate: Candidate, config: PlanConfig) -> bool:
    """Tried for this very cause below the rate P: the signature's record does not speak for it."""
    ok, n = _cause_record(candidate)
    return n > 0 and ok / n < config.knowledge_min_rate


def rule_remedy(candidates: list[Candidate], *, prefer_knowledge: bool, why: str = "") -> Proposal | None:
    """The rule's remedy with the best Laplace-smoothed success rate for this incident's cause,
    then for its signature; ties keep the rule's order, so with no history the first remedy
    wins. Only the rule's own remedies, never others."""
    own = [c for c in candidates if c.from_rule]
    if not own:
        return None
    best = max(own, key=_score) if prefer_knowledge else own[0]
    if prefer_knowledge and best.cause_tries:
        tried = f"success {best.cause_successes}/{best.cause_tries} for this cause"
    elif best.tries:
        tried = f"success {best.successes}/{best.tries}"
    else:
        tried = "first untried remedy of the rule"
    reason = f"{why}; {tried}" if why else tried
    return Proposal("act", best.name, "rule", reason, risk=best.risk)


def _score(candidate: Candidate) -> tuple[float, float]:
    """The cause's record first (an untried remedy scores 0.5), the signature's to break ties."""
    return (
        success_score(candidate.cause_successes, candidate.cause_tries),
        success_score(candidate.successes, candidate.tries),
    )

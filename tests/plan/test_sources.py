"""Knowledge settles a signature once a remedy proved itself; the rule order decides otherwise."""

from __future__ import annotations

from mapekd.config.settings import PlanConfig
from mapekd.plan.proposal import Candidate
from mapekd.plan.sources import proven_remedy, rule_remedy


def c(name: str, ok: int, tries: int, *, from_rule: bool = True) -> Candidate:
    return Candidate(name, "command", "", "low", from_rule, ok, tries)


def test_a_remedy_proven_k_times_at_rate_p_is_chosen_from_knowledge() -> None:
    config = PlanConfig(knowledge_min_successes=3, knowledge_min_rate=0.8)
    chosen = proven_remedy([c("a", 1, 1), c("b", 3, 3)], config)
    assert chosen is not None and chosen.action == "b" and chosen.source == "knowledge"
    assert chosen.confidence == 1.0


def test_too_few_successes_or_a_low_rate_settle_nothing() -> None:
    config = PlanConfig(knowledge_min_successes=3, knowledge_min_rate=0.8)
    assert proven_remedy([c("a", 2, 2)], config) is None
    assert proven_remedy([c("a", 3, 5)], config) is None
    assert proven_remedy([c("a", 5, 5, from_rule=False)], config) is None  # never outside the rule


def test_the_rule_order_decides_with_no_history_and_knowledge_ranks_otherwise() -> None:
    first = rule_remedy([c("a", 0, 0), c("b", 0, 0)], prefer_knowledge=True)
    assert first is not None and first.action == "a" and first.source == "rule"
    ranked = rule_remedy([c("a", 0, 3), c("b", 2, 2)], prefer_knowledge=True)
    assert ranked is not None and ranked.action == "b"
    assert rule_remedy([c("a", 0, 0, from_rule=False)], prefer_knowledge=True) is None

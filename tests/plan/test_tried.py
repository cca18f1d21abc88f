"""Within one incident a remedy tried without success is left out while an untried one remains,
unless this cause's record says it works on a second try; all tried: the least-tried remain."""

from __future__ import annotations

from collections import Counter

from mapekd.config.settings import PlanConfig
from mapekd.plan.proposal import Candidate
from mapekd.plan.tried import TriedRemedies, narrow

CONFIG = PlanConfig(knowledge_min_successes=3)


def c(name: str, cause_ok: int = 0, cause_tries: int = 0) -> Candidate:
    return Candidate(name, "command", "", "low", True, 5, 5, cause_ok, cause_tries)


def names(cs: list[Candidate]) -> list[str]:
    return [x.name for x in cs]


def test_a_remedy_tried_without_success_is_left_out_and_the_record_says_why() -> None:
    narrowed = narrow([c("a"), c("b"), c("d")], Counter({"a": 1}), CONFIG)
    assert names(narrowed.candidates) == ["b", "d"]
    assert narrowed.skipped == {"a": "tried 1x in this incident without resolving it"}
    assert narrowed.explain("rule order") == (
        "rule order; skipped a: tried 1x in this incident without resolving it"
    )


def test_nothing_tried_keeps_every_candidate_and_the_reason() -> None:
    narrowed = narrow([c("a"), c("b")], Counter(), CONFIG)
    assert names(narrowed.candidates) == ["a", "b"] and narrowed.explain("why") == "why"


def test_a_remedy_that_needs_a_second_try_for_this_cause_gets_one_more_only() -> None:
    second_try = c("a", cause_ok=3, cause_tries=6)  # each success after at most one failure
    assert names(narrow([second_try, c("b")], Counter({"a": 1}), CONFIG).candidates) == ["a", "b"]
    assert names(narrow([second_try, c("b")], Counter({"a": 2}), CONFIG).candidates) == ["b"]
    too_few = c("a", cause_ok=2, cause_tries=2)
    assert names(narrow([too_few, c("b")], Counter({"a": 1}), CONFIG).candidates) == ["b"]
    too_unreliable = c("a", cause_ok=3, cause_tries=7)
    assert names(narrow([too_unreliable, c("b")], Counter({"a": 1}), CONFIG).candidates) == ["b"]


def test_when_every_candidate_was_tried_the_least_tried_remain() -> None:
    narrowed = narrow([c("a"), c("b"), c("d")], Counter({"a": 2, "b": 1, "d": 1}), CONFIG)
    assert names(narrowed.candidates) == ["b", "d"]
    assert list(narrowed.skipped) == ["a"]


def test_the_ledger_counts_unresolved_tries_per_incident_and_carries_them_over() -> None:
    ledger = TriedRemedies()
    ledger.record(1, "a", "not_resolved")
    ledger.record(1, "a", "failed")
    ledger.record(1, "b", "resolved")
    ledger.record(2, "b", "relapsed")
    assert ledger.of(1) == Counter({"a": 2}) and ledger.of(2) == Counter({"b": 1})
    ledger.carry_over(1, 2)
    assert ledger.of(2) == Counter({"a": 2, "b": 1})
    ledger.forget(1)
    assert ledger.of(1) == Counter()

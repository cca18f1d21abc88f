"""Knowledge decides by the incident's cause first: a remedy proven for this cause wins, then
one proven for the signature unless this cause's own record refutes it; the rule's order ranks
by the cause's record first. Each decision says which record it used."""

from __future__ import annotations

import pytest

from mapekd.config.settings import PlanConfig
from mapekd.plan.proposal import Candidate
from mapekd.plan.sources import proven_remedy, rule_remedy

CONFIG = PlanConfig.model_validate({"knowledge_min_successes": 3, "knowledge_min_rate": 0.8})


def c(name: str, signature: tuple[int, int] = (0, 0), cause: tuple[int, int] = (0, 0)) -> Candidate:
    return Candidate(name, "command", "", "low", True, *signature, *cause)


PROVEN = [
    (
        "the cause's record first",
        [c("restart", (9, 9)), c("start_db", (3, 9), (3, 3))],
        "start_db",
        "resolved 3/3 times for this cause",
    ),
    (
        "then the signature's",
        [c("restart", (4, 5)), c("start_db", (1, 5))],
        "restart",
        "resolved 4/5 times for this signature",
    ),
    ("unless this cause refutes it", [c("restart", (9, 10), (0, 1)), c("start_db")], None, ""),
    (
        "too few for the cause, the signature decides",
        [c("restart", (5, 5), (2, 2)), c("kill", (0, 3))],
        "restart",
        "resolved 5/5 times for this signature",
    ),
    ("nothing proven", [c("restart", (2, 2), (2, 2))], None, ""),
]


@pytest.mark.parametrize(
    ("candidates", "action", "reason"), [p[1:] for p in PROVEN], ids=[p[0] for p in PROVEN]
)
def test_proven_remedy_by_cause_then_signature(
    candidates: list[Candidate], action: str | None, reason: str
) -> None:
    proposal = proven_remedy(candidates, CONFIG)
    if action is None:
        assert proposal is None
        return
    assert proposal is not None and (proposal.action, proposal.source, proposal.reason) == (
        action,
        "knowledge",
        reason,
    )


RANKED = [
    ("no record: the rule's order", [c("a"), c("b")], "a", "first untried remedy of the rule"),
    ("the signature's record without a cause's", [c("a", (0, 2)), c("b", (1, 1))], "b", "success 1/1"),
    (
        "the cause's record over the signature's",
        [c("a", (5, 6), (0, 1)), c("b", (1, 6), (1, 1))],
        "b",
        "success 1/1 for this cause",
    ),
    (
        "an untried remedy beats one that failed for this cause",
        [c("a", (5, 5), (0, 1)), c("b")],
        "b",
        "first untried remedy of the rule",
    ),
]


@pytest.mark.parametrize(
    ("candidates", "action", "reason"), [r[1:] for r in RANKED], ids=[r[0] for r in RANKED]
)
def test_rule_order_ranks_by_cause_then_signature(
    candidates: list[Candidate], action: str, reason: str
) -> None:
    proposal = rule_remedy(candidates, prefer_knowledge=True)
    assert proposal is not None and (proposal.action, proposal.reason) == (action, reason)

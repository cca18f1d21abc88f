"""The decision by cause class: the rule's remedy that treats the cause comes first; none treats
it: escalate, citing the lines; `unknown` changes nothing; knowledge of the fingerprint wins."""

from __future__ import annotations

import pytest

from mapekd.config.actions import CommandActionConfig
from mapekd.config.settings import PlanConfig
from mapekd.evidence.base import EvidenceItem
from mapekd.evidence.classify import classify
from mapekd.plan.by_cause import by_cause
from mapekd.plan.decide import Decider
from mapekd.plan.proposal import Candidate

RULE = {  # the web_unhealthy rule's order, with what an operator says each remedy treats
    "restart_web": ("resource_exhaustion",),
    "kill_web": ("hang",),
    "start_db": ("dependency",),
}
LINES = {
    "hang": "web[9] ERROR: deadlock: request workers wait for the cache lock held by the reload thread",
    "dependency": "web[9] ERROR: upstream http://127.0.0.1:5432/: [Errno 111] Connection refused",
    "resource_exhaustion": "web[9] ERROR: connection pool exhausted: 64 of 64 connections checked out",
    "disk_io": "web[9] ERROR: I/O stall: write to /srv/web.data blocked for 2.0 s",
    "bad_config": "web[9] ERROR: config error: /srv/web.conf line 2: unknown key 'listen_addr'",
}


def candidates(**records: tuple[int, int, int, int]) -> list[Candidate]:
    """The rule's remedies; `records[name]`: (ok, tries) for the signature, then for the cause."""
    return [
        Candidate(name, "command", "", "low", True, *records.get(name, (0, 0, 0, 0)), treats)
        for name, treats in RULE.items()
    ]


def decider(config: PlanConfig | None = None) -> Decider:
    configs = {name: CommandActionConfig(name=name, type="command", argv=["true"]) for name in RULE}
    return Decider(config or PlanConfig(), dict(configs), None, prefer_knowledge=True)


def evidence(cause: str) -> list[EvidenceItem]:
    return [
        EvidenceItem("log", "web.log", "web[9] INFO: listening on 127.0.0.1:8080"),
        EvidenceItem("log", "web.log", LINES[cause]),
    ]


@pytest.mark.parametrize(
    ("cause", "expected"),
    [("hang", "kill_web"), ("dependency", "start_db"), ("resource_exhaustion", "restart_web")],
)
def test_the_remedy_that_treats_the_cause_comes_first(cause: str, expected: str) -> None:
    found = classify(evidence(cause))
    proposal = decider().fast(candidates(), found)
    assert proposal is not None
    assert (proposal.intent, proposal.action, proposal.source) == ("act", expected, "rule")
    assert proposal.reason.startswith(f"cause {cause} (e2: ")


@pytest.mark.parametrize("cause", ["disk_io", "bad_config"])
def test_a_cause_no_remedy_treats_escalates_with_the_lines_that_show_it(cause: str) -> None:
    proposal = decider().fast(candidates(), classify(evidence(cause)))
    assert proposal is not None
    assert (proposal.intent, proposal.action) == ("escalate", None)
    assert proposal.reason == f"cause {cause} (e2: {LINES[cause][:100]}): no remedy treats it"


def test_an_unknown_cause_changes_nothing() -> None:
    unknown = classify([EvidenceItem("log", "web.log", "web[9] INFO: listening on 127.0.0.1:8080")])
    assert unknown.cause == "unknown"
    assert by_cause(candidates(), unknown).candidates == candidates()
    with_class = decider().fast(candidates(), unknown)
    without = decider().fast(candidates(), None)
    assert with_class is not None and without is not None
    assert (
        (with_class.action, with_class.reason)
        == (without.action, without.reason)
        == (
            "restart_web",
            "no LLM; first untried remedy of the rule",
        )
    )


def test_undeclared_remedies_are_not_narrowed() -> None:
    plain = [Candidate(name, "command", "", "low", True) for name in RULE]
    assert by_cause(plain, classify(evidence("dependency"))).candidates == plain


def test_knowledge_for_the_fingerprint_still_wins() -> None:
    """restart_web resolved this very cause 3/3 times: that outweighs the lines' reading."""
    config = PlanConfig(knowledge_min_successes=3, knowledge_min_rate=0.8)
    proven = candidates(restart_web=(3, 3, 3, 3))
    proposal = decider(config).fast(proven, classify(evidence("dependency")))
    assert proposal is not None
    assert (proposal.action, proposal.source, proposal.reason) == (
        "restart_web",
        "knowledge",
        "resolved 3/3 times for this cause",
    )


def test_the_signature_record_ranks_only_among_the_remedies_that_treat_the_cause() -> None:
    """The signature's record mixes causes: restart_web's 5/5 (of pool exhaustions) does not
    make it the remedy of a database that is down."""
    config = PlanConfig(knowledge_min_successes=3, knowledge_min_rate=0.8)
    proposal = decider(config).fast(candidates(restart_web=(5, 5, 0, 0)), classify(evidence("dependency")))
    assert proposal is not None and (proposal.action, proposal.source) == ("start_db", "rule")

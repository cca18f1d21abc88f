"""The guardrails decide what an LLM proposal may do, table-driven: exact candidate names only,
no parameters, confidence floors, overrides by knowledge, approvals for risk and for proposals
outside the rule's remedies."""

from __future__ import annotations

from typing import Any

import pytest

from mapekd.config.actions import CommandActionConfig, SignalActionConfig
from mapekd.config.settings import PlanConfig
from mapekd.plan.guardrails import Rejected, vet
from mapekd.plan.proposal import Candidate, Proposal

CONFIGS: dict[str, Any] = {
    "restart_web": CommandActionConfig(name="restart_web", type="command", argv=["true"], min_confidence=0.5),
    "kill_web": SignalActionConfig(
        name="kill_web", type="signal", check="web", risk="medium", max_risk="medium"
    ),
    "wipe_tmp": CommandActionConfig(name="wipe_tmp", type="command", argv=["true"], risk="high"),
}
PLAN = PlanConfig()


def cand(name: str, *, from_rule: bool = True, ok: int = 0, tries: int = 0) -> Candidate:
    cfg = CONFIGS[name]
    return Candidate(name, cfg.type, "", cfg.risk, from_rule, ok, tries)


def llm(
    action: str, confidence: float = 0.9, risk: str = "low", params: dict[str, str] | None = None
) -> Proposal:
    return Proposal(
        "act",
        action,
        "llm",
        "because",
        confidence=confidence,
        risk=risk,  # type: ignore[arg-type]
        params=params or {},
    )


CANDIDATES = [cand("restart_web"), cand("kill_web")]


@pytest.mark.parametrize(
    ("action", "why"),
    [
        ("rm_everything", "not a candidate"),
        ("Restart_web", "not a candidate"),  # no case folding
        ("restart_w\u0435b", "not a candidate"),  # a Cyrillic look-alike of "e" is another name
        ("restart_web ", "not a candidate"),
        ("wipe_tmp", "not a candidate"),  # whitelisted, but not a candidate for this incident
    ],
)
def test_only_exact_candidate_names_pass(action: str, why: str) -> None:
    with pytest.raises(Rejected, match=why):
        vet(llm(action), CANDIDATES, CONFIGS, PLAN)


def test_parameters_from_the_model_are_refused() -> None:
    with pytest.raises(Rejected, match="parameters"):
        vet(llm("restart_web", params={"argv": "; rm -rf /"}), CANDIDATES, CONFIGS, PLAN)


def test_confidence_below_the_actions_floor_is_refused() -> None:
    with pytest.raises(Rejected, match="min_confidence"):
        vet(llm("restart_web", confidence=0.3), CANDIDATES, CONFIGS, PLAN)


def test_a_clean_proposal_of_a_rule_remedy_acts_without_approval() -> None:
    out = vet(llm("restart_web"), CANDIDATES, CONFIGS, PLAN)
    assert out.action == "restart_web" and out.source == "llm" and not out.needs_approval


def test_risk_above_max_risk_and_high_risk_actions_need_approval() -> None:
    assert vet(llm("kill_web", risk="high"), CANDIDATES, CONFIGS, PLAN).needs_approval
    high = [cand("wipe_tmp")]
    assert vet(llm("wipe_tmp"), high, CONFIGS, PLAN).needs_approval


def test_a_proposal_outside_the_rules_remedies_needs_approval() -> None:
    outside = [cand("restart_web", from_rule=False)]
    assert vet(llm("restart_web"), outside, CONFIGS, PLAN).needs_approval


def test_a_choice_with_a_poor_record_is_overridden_by_the_best_known_remedy() -> None:
    candidates = [cand("restart_web", ok=0, tries=4), cand("kill_web", ok=4, tries=4)]
    out = vet(llm("restart_web"), candidates, CONFIGS, PLAN)
    assert out.action == "kill_web" and out.source == "knowledge"
    assert out.override_reason and "restart_web" in out.override_reason


def test_a_remedy_proven_for_this_cause_is_not_overridden_by_the_signatures_poor_record() -> None:
    """2/7 for the signature (its other cause needs another remedy), 3/3 for this cause."""
    proven = Candidate("restart_web", "command", "", "low", True, 2, 7, cause_successes=3, cause_tries=3)
    other = Candidate("kill_web", "signal", "", "medium", True, 5, 7, cause_successes=0, cause_tries=3)
    out = vet(llm("restart_web"), [proven, other], CONFIGS, PLAN)
    assert out.action == "restart_web" and out.override_reason is None
    out = vet(llm("kill_web", risk="medium"), [proven, other], CONFIGS, PLAN)
    assert out.action == "restart_web" and out.source == "knowledge"
    assert out.override_reason and "this cause 0/3" in out.override_reason


def test_a_poor_choice_with_nothing_better_escalates() -> None:
    candidates = [cand("restart_web", ok=0, tries=5), cand("kill_web")]
    out = vet(llm("restart_web"), candidates, CONFIGS, PLAN)
    assert out.intent == "escalate" and out.action is None and out.override_reason


def test_none_and_escalate_pass_through() -> None:
    for intent in ("none", "escalate"):
        proposal = Proposal(intent, None, "llm", "nothing to do")  # type: ignore[arg-type]
        assert vet(proposal, CANDIDATES, CONFIGS, PLAN) is proposal

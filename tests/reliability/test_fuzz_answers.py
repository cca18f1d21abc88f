"""Fuzz: generated LLM answers through parsing, the guardrails and the enforcement point. Zero
executions outside the candidates, zero parameters accepted, no high-risk action without an
approval. `make test` runs a short version; `make test-reliability` runs at least 100,000
(RELIABILITY_FUZZ_EXAMPLES)."""

from __future__ import annotations

import os
import sys
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapekd.assemble import assemble
from mapekd.config.settings import PlanConfig, Settings
from mapekd.errors import MapekdError
from mapekd.plan.enforcer import Admitted, Enforcer
from mapekd.plan.guardrails import Rejected, vet
from mapekd.plan.ledger import Ledger
from mapekd.plan.proposal import Candidate, Proposal
from mapekd.prompting import parse_plan
from mapekd.shared_http import SharedHttp
from tests.plan.test_guardrails_property import TEXTS

EXAMPLES = int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "3000"))
CANDIDATES = ["restart_web", "reload_web", "reboot"]
SETTINGS = Settings.model_validate(
    {
        "actions": [
            {"name": n, "type": "command", "argv": [sys.executable, "-c", "pass", "{target}"]}
            for n in ["restart_web", "reload_web", "wipe_disk"]
        ]
        + [{"name": "reboot", "type": "command", "argv": ["/bin/true"], "risk": "high"}],
        "policy": {"max_actions": 10**9, "max_executions": 10**9, "cooldown": "0s", "max_in_flight": 10**9},
    }
)
CONFIGS = {a.name: a for a in SETTINGS.actions}
VIEWS = [Candidate(n, "command", "", CONFIGS[n].risk, True) for n in CANDIDATES]
ENFORCER = Enforcer(SETTINGS, assemble(SETTINGS, http=SharedHttp(), base_env={}).actions, Ledger(600))
SEEN = {"admitted": 0}


def decided(text: str) -> Proposal | None:
    try:
        plan = parse_plan(text, CANDIDATES)
        intent = plan.action if plan.action in ("none", "escalate") else "act"
        proposal = Proposal(
            intent,  # type: ignore[arg-type]
            plan.action if intent == "act" else None,
            "llm",
            plan.rationale,
            confidence=plan.confidence,
            risk=plan.risk,
            params=dict(plan.params),
        )
        return vet(proposal, VIEWS, CONFIGS, PlanConfig())
    except (MapekdError, Rejected):
        return None


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(TEXTS, st.sampled_from(["process:web", "alert:X/1", "host"]))
def test_no_execution_outside_the_candidates(text: str, target: str) -> None:
    proposal = decided(text)
    if proposal is None or proposal.intent != "act":
        return
    assert proposal.action in CANDIDATES and proposal.params == {}
    admission = ENFORCER.admit(proposal, target, CONFIGS[proposal.action or ""], time.time())
    if isinstance(admission, Admitted):
        admission.lease.release()
        SEEN["admitted"] += 1
        assert admission.config.name in CANDIDATES
        assert admission.config.risk != "high", "a high-risk action admitted without an approval"


def test_the_pipeline_under_fuzz_does_admit_a_well_formed_answer() -> None:
    """The property above is not vacuous: a valid answer goes all the way through."""
    text = '{"action": "reload_web", "params": {}, "risk": "low", "confidence": 0.9, "rationale": "r"}'
    proposal = decided(text)
    assert proposal is not None and proposal.action == "reload_web"
    admission = ENFORCER.admit(proposal, "process:web", CONFIGS["reload_web"], time.time())
    assert isinstance(admission, Admitted)
    admission.lease.release()
    high = decided('{"action": "reboot", "params": {}, "risk": "low", "confidence": 0.9, "rationale": "r"}')
    assert high is not None and not isinstance(
        ENFORCER.admit(high, "host", CONFIGS["reboot"], time.time()), Admitted
    )

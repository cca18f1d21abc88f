"""Property: whatever text a model returns, what survives parsing and the guardrails is one of
the incident's candidates with no parameters, or no action at all."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mapekd.config.actions import CommandActionConfig
from mapekd.config.settings import PlanConfig
from mapekd.errors import MapekdError
from mapekd.plan.guardrails import Rejected, vet
from mapekd.plan.proposal import Candidate, Proposal
from mapekd.prompting import parse_plan

CANDIDATES = ["restart_web", "reload_web"]
CONFIGS: dict[str, Any] = {
    n: CommandActionConfig(name=n, type="command", argv=["true"]) for n in [*CANDIDATES, "wipe_disk"]
}
VIEWS = [Candidate(n, "command", "", "low", True) for n in CANDIDATES]
NAMES = st.sampled_from(
    [
        *CANDIDATES,
        "wipe_disk",
        "none",
        "escalate",
        "restart_web ",
        "RESTART_WEB",
        "restart_w\u0435b",
        "restart_web;rm -rf /",
    ]
) | st.text(max_size=30)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ANSWERS = st.fixed_dictionaries(
    {"action": NAMES},
    optional={
        "params": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=2) | JSONISH,
        "risk": st.sampled_from(["low", "medium", "high", "none"]) | st.text(max_size=5),
        "confidence": st.floats(min_value=-1, max_value=2, allow_nan=False) | JSONISH,
        "rationale": st.text(max_size=50),
        "extra": JSONISH,
    },
)
TEXTS = (
    ANSWERS.map(json.dumps)
    | st.text(max_size=200)
    | st.tuples(ANSWERS, ANSWERS).map(lambda pair: json.dumps(pair[0]) + json.dumps(pair[1]))
)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_only_candidates_without_parameters_survive(text: str) -> None:
    try:
        plan = parse_plan(text, CANDIDATES)
        intent = plan.action if plan.action in ("none", "escalate") else "act"
        proposal = Proposal(
            intent,
            plan.action if intent == "act" else None,
            "llm",
            plan.rationale,  # type: ignore[arg-type]
            confidence=plan.confidence,
            risk=plan.risk,
            params=dict(plan.params),
        )
        out = vet(proposal, VIEWS, CONFIGS, PlanConfig())
    except (MapekdError, Rejected):
        return
    assert out.intent in ("none", "escalate") or (out.action in CANDIDATES and out.params == {})

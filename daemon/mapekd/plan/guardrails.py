"""Guardrails on an LLM proposal: the LLM proposes, policy and knowledge dispose.

- The action is exactly one of this incident's candidates (or `none` / `escalate`): matched as
  bytes, no case folding, no Unicode normalisation. Parameters: no action takes any from the model.
- Knowledge overrides a choice with a poor record for this signature (at least n tries, success
  rate below q): the best-known remedy is taken instead, or the decision escalates.
- An action's `min_confidence`; its `max_risk` and high-risk actions, and any proposal outside the
  rule's own remedies, wait for an approval.
"""

from __future__ import annotations

from mapekd.config.actions import ActionConfig
from mapekd.config.settings import PlanConfig
from mapekd.plan.proposal import RISK_ORDER, Candidate, Proposal


class Rejected(Exception):
    """The proposal may not be acted on; the next source decides. `str()` says why."""


def vet(
    proposal: Proposal, candidates: list[Candidate], configs: dict[str, ActionConfig], config: PlanConfig
) -> Proposal:
    """The proposal as it may be acted on (possibly overridden or needing approval), or Rejected."""
    if proposal.intent != "act":
        return proposal
    chosen = next((c for c in candidates if c.name == proposal.action), None)
    if chosen is None:
        raise Rejected(f"{proposal.action!r} is not a candidate for this incident")
    if proposal.params:
        raise Rejected(f"parameters {sorted(proposal.params)} given, but actions take none from the model")
    action = configs[chosen.name]
    if proposal.confidence is None or proposal.confidence < action.min_confidence:
        raise Rejected(
            f"confidence {proposal.confidence} below {chosen.name}'s min_confidence {action.min_confidence}"
        )
    overridden = _override(proposal, chosen, candidates, config)
    if overridden is not None:
        return overridden
    risk = max(action.risk, proposal.risk or "low", key=RISK_ORDER.__getitem__)
    proposal.needs_approval = (
        not chosen.from_rule or action.risk == "high" or RISK_ORDER[risk] > RISK_ORDER[action.max_risk]
    )
    return proposal


def _override(
    proposal: Proposal, chosen: Candidate, candidates: list[Candidate], config: PlanConfig
) -> Proposal | None:
    successes, tries, scope = chosen.record
    if tries < config.override_min_tries or successes / tries >= config.override_max_rate:
        return None
    why = (
        f"the LLM chose {chosen.name}, which resolved {scope} {successes}/{tries} "
        f"times (below {config.override_max_rate:g})"
    )
    better = [
        c
        for c in candidates
        if c.from_rule
        and c.name != chosen.name
        and c.record[1]
        and c.record[0] / c.record[1] >= config.override_max_rate
    ]
    if better:
        best = max(better, key=lambda c: c.record[0] / c.record[1])
        ok, of, best_scope = best.record
        return Proposal(
            "act",
            best.name,
            "knowledge",
            f"best-known remedy {ok}/{of} for {best_scope}",
            confidence=round(ok / of, 3),
            risk=best.risk,
            llm=proposal.llm,
            override_reason=why,
        )
    return Proposal(
        "escalate", None, "policy", "no remedy with a good record", llm=proposal.llm, override_reason=why
    )

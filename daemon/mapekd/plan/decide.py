"""The decision, cheapest source first:

    knowledge (a proven remedy, no LLM call; this host's record, then the fleet's)
      -> with plan.llm auto: a rule with exactly one low-risk remedy acts at once
      -> llm (analysis, then plan.j2 over the candidates, under a deadline) -> guardrails
      -> rule (the rule's own remedy order)

`fast` answers without waiting for anything; `slow` may wait for the LLM and is run off the cycle.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mapekd.config.actions import ActionConfig
from mapekd.config.settings import PlanConfig
from mapekd.errors import StoreError
from mapekd.fleet.source import fleet_remedy
from mapekd.plan.guardrails import Rejected, vet
from mapekd.plan.proposal import Candidate, Proposal
from mapekd.plan.sources import proven_remedy, rule_remedy
from mapekd.situation import Situation

if TYPE_CHECKING:
    from mapekd.plan.llm_plan import LLMPlanner
    from mapekd.prompting import Analysis

log = logging.getLogger("mapekd.decision")


class Decider:
    def __init__(
        self,
        config: PlanConfig,
        configs: dict[str, ActionConfig],
        planner: LLMPlanner | None,
        *,
        prefer_knowledge: bool,
    ) -> None:
        self.config = config
        self.configs = configs
        self.planner = planner
        self.prefer_knowledge = prefer_knowledge

    def fast(self, candidates: list[Candidate]) -> Proposal | None:
        """A decision that needs no LLM, or None: the LLM has a real choice to make."""
        proven = (
            (proven_remedy(candidates, self.config) or fleet_remedy(candidates))
            if self.prefer_knowledge
            else None
        )
        if proven is not None:
            return proven
        if self.planner is None or self.config.llm == "never":
            return self._rule(candidates, "no LLM")
        if (
            self.config.llm == "auto"
            and len(candidates) == 1
            and candidates[0].from_rule
            and candidates[0].risk == "low"
        ):
            return self._rule(candidates, "one low-risk remedy: acted at once")
        return None

    async def slow(
        self, situation: Situation, candidates: list[Candidate], analysis: Analysis | None
    ) -> Proposal:
        """Ask the LLM; whatever it says passes the guardrails or the rule decides."""
        assert self.planner is not None
        try:
            proposal, record = await self.planner.plan(situation, analysis, candidates)
        except StoreError as exc:  # what it would have been told of the past cannot be read
            return self._fallback(candidates, f"LLM not asked: {exc}", {"error": str(exc)})
        if proposal is None:
            return self._fallback(candidates, f"LLM: {record.get('error')}", record)
        try:
            return vet(proposal, candidates, self.configs, self.config)
        except Rejected as exc:
            return self._fallback(candidates, f"LLM proposal rejected: {exc}", record)

    def _fallback(self, candidates: list[Candidate], why: str, record: dict[str, object]) -> Proposal:
        fallback = self._rule(candidates, why)
        fallback.llm = dict(record)
        return fallback

    def _rule(self, candidates: list[Candidate], why: str) -> Proposal:
        chosen = rule_remedy(candidates, prefer_knowledge=self.prefer_knowledge, why=why)
        if chosen is not None:
            if self.configs[chosen.action or ""].risk == "high":
                chosen.needs_approval = True
            return chosen
        return Proposal("none", None, "rule", f"{why}; no remedy configured for this rule")

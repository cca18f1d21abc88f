"""The decision, cheapest source first:

    knowledge (a proven remedy, no LLM call; this host's record, then the fleet's)
      -> the cause class (plan/by_cause.py): the remedies that treat the cause the evidence
         shows, in the rule's order; escalate when none does (no LLM call)
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
from mapekd.evidence.classify import Classified
from mapekd.fleet.source import fleet_remedy
from mapekd.plan.by_cause import ByCause, by_cause, proven_for_cause
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

    def fast(self, candidates: list[Candidate], cause: Classified | None = None) -> Proposal | None:
        """A decision that needs no LLM, or None: the LLM has a real choice to make. `cause`:
        the class the incident's evidence shows, when gathered."""
        scoped = by_cause(candidates, cause)
        proven = self._proven(candidates, scoped) if self.prefer_knowledge else None
        if proven is not None:
            return proven
        if scoped.escalate is not None:
            return scoped.escalate
        if scoped.applies:
            return self._rule(scoped.candidates, scoped.note)
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

    def _proven(self, candidates: list[Candidate], scoped: ByCause) -> Proposal | None:
        """Knowledge: for this fingerprint over every candidate, then (the class narrowing the
        choice) for the signature only among the remedies that treat the cause."""
        if not scoped.applies:
            return proven_remedy(candidates, self.config) or fleet_remedy(candidates)
        return (
            proven_for_cause(candidates, self.config)
            or proven_remedy(scoped.candidates, self.config)
            or fleet_remedy(scoped.candidates)
        )

    async def slow(
        self, situation: Situation, candidates: list[Candidate], analysis: Analysis | None
    ) -> Proposal:
        """Ask the LLM; whatever it says passes the guardrails or the rule decides."""
        assert self.planner is not None
        try:
            proposal, record = await self.planner.plan(situation, analysis, candidates)
        except StoreError as exc:  # what it would have been told of the past cannot be read
            return self._fallback(situation, candidates, f"LLM not asked: {exc}", {"error": str(exc)})
        if proposal is None:
            return self._fallback(situation, candidates, f"LLM: {record.get('error')}", record)
        try:
            return vet(proposal, candidates, self.configs, self.config)
        except Rejected as exc:
            return self._fallback(situation, candidates, f"LLM proposal rejected: {exc}", record)

    def _fallback(
        self, situation: Situation, candidates: list[Candidate], why: str, record: dict[str, object]
    ) -> Proposal:
        """The rule decides, by the cause class where that narrows the choice."""
        scoped = by_cause(candidates, classified_of(situation))
        if scoped.escalate is not None:
            fallback = scoped.escalate
            fallback.reason = f"{why}; {fallback.reason}"
        else:
            fallback = self._rule(scoped.candidates, f"{why}; {scoped.note}" if scoped.note else why)
        fallback.llm = dict(record)
        return fallback

    def _rule(self, candidates: list[Candidate], why: str) -> Proposal:
        chosen = rule_remedy(candidates, prefer_knowledge=self.prefer_knowledge, why=why)
        if chosen is not None:
            if self.configs[chosen.action or ""].risk == "high":
                chosen.needs_approval = True
            return chosen
        return Proposal("none", None, "rule", f"{why}; no remedy configured for this rule")


def classified_of(situation: Situation) -> Classified | None:
    if situation.cause_class is None:
        return None
    return Classified(situation.cause_class, situation.cause_cited, situation.evidence)

"""The LLM as a decision source: analyze.j2 reads the situation (see analyst.py), plan.j2
chooses among the candidates. Both are fed by what the knowledge base remembers; neither decides
anything itself: the plan comes back as a Proposal for the guardrails.

The plan is asked one of two ways. Where the model the plan goes to first can rank (a capability
of the provider: the local model) and `plan.rank` is on, the model chooses rather than writes:
its likelihood of each choice, blended with the knowledge record (plan/ranking.py), and the
record says `mode: rank` with each option's scores. Otherwise the model writes the JSON proposal
under its schema (`mode: write`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mapekd.config.settings import PlanConfig
from mapekd.knowledge.base import Store
from mapekd.llm.config import LLMSettings
from mapekd.plan.alike import evidence_alike
from mapekd.plan.analysis_limit import AnalysisLimiter
from mapekd.plan.analyst import Analyst
from mapekd.plan.llm_call import LLMCaller
from mapekd.plan.proposal import Candidate, Intent, Proposal
from mapekd.plan.ranking import choose
from mapekd.prompting import (
    ESCALATE,
    NO_ACTION,
    Analysis,
    CandidateView,
    PlanProposal,
    parse_plan,
    plan_choices,
    plan_context,
    plan_schema,
)
from mapekd.prompting.context import AnswerAs
from mapekd.prompting.host import OtherProcesses
from mapekd.situation import Situation


class LLMPlanner:
    def __init__(
        self,
        caller: LLMCaller,
        store: Store,
        settings: LLMSettings,
        limiter: AnalysisLimiter | None = None,
        *,
        others: OtherProcesses = "names",
        plan: PlanConfig | None = None,
    ) -> None:
        """`limiter`: how often analyses may be asked (None: every time, e.g. an evaluation).
        `others`: what the analysis shows of processes no check watches (redaction.other_processes).
        `plan`: the plan section (analysis style and reuse, ranking); None: its defaults."""
        self.caller = caller
        self.store = store
        self.settings = settings
        self.config = plan or PlanConfig()
        self.analyst = Analyst(caller, store, self.config, settings.analyze_deadline, limiter, others)

    async def analyze_and_record(
        self, situation: Situation, candidates: Sequence[str] = ()
    ) -> Analysis | None:
        """The incident's grounded analysis, stored with it (see Analyst.analyze_and_record)."""
        return await self.analyst.analyze_and_record(situation, candidates)

    def ranks(self) -> bool:
        return self.config.rank and self.caller.can_rank("plan")

    async def plan(
        self, situation: Situation, analysis: Analysis | None, candidates: list[Candidate]
    ) -> tuple[Proposal | None, dict[str, Any]]:
        """The LLM's proposal (None when it gave no valid one) and what to record of the call."""
        ranking = self.ranks()
        context = self._context(situation, analysis, candidates, "name" if ranking else "json")
        if ranking:
            return await self._rank(situation, context, candidates)
        names = [c.name for c in candidates]
        asked = await self.caller.ask(
            "plan.j2",
            context,
            plan_schema(names),
            lambda t: parse_plan(t, names),
            role="plan",
            incident_id=situation.incident_id,
            deadline=self.settings.plan_deadline,
        )
        record = {**asked.record(), "mode": "write"}
        if asked.parsed is None:
            return None, record
        record["parsed"] = {**asked.parsed.model_dump(), "mode": "write"}
        return _proposal(asked.parsed, record), record

    def _context(
        self,
        situation: Situation,
        analysis: Analysis | None,
        candidates: list[Candidate],
        answer_as: AnswerAs,
    ) -> dict[str, Any]:
        views = [
            CandidateView(
                c.name,
                c.kind,
                c.description,
                situation.target,
                c.risk,
                c.successes,
                c.tries,
                c.cause_successes,
                c.cause_tries,
                c.fleet_successes,
                c.fleet_tries,
                c.fleet_hosts,
            )
            for c in candidates
        ]
        return plan_context(
            situation,
            analysis,
            views,
            self.store.recent_actions(situation.target),
            self.store.matching_runbooks(
                situation.rule, situation.check, situation.signature, summary=situation.symptom
            ),
            answer_as=answer_as,
            alike=evidence_alike(self.store, situation),
        )

    async def _rank(
        self, situation: Situation, context: dict[str, Any], candidates: list[Candidate]
    ) -> tuple[Proposal | None, dict[str, Any]]:
        options = plan_choices([c.name for c in candidates])
        asked = await self.caller.rank(
            "plan.j2",
            context,
            options,
            role="plan",
            incident_id=situation.incident_id,
            deadline=self.settings.plan_deadline,
        )
        record = {**asked.record(), "mode": "rank"}
        if asked.parsed is None:
            return None, record
        choice = choose(candidates, options, asked.parsed)
        chosen = next((c for c in candidates if c.name == choice.option), None)
        plan = PlanProposal(
            action=choice.option,
            params={},
            risk=chosen.risk if chosen is not None else "low",
            confidence=min(max(choice.score, 0.0), 1.0),
            rationale=_why(choice.option, choice.scores),
        )
        record["parsed"] = {**plan.model_dump(), "mode": "rank", "scores": choice.scores}
        return _proposal(plan, record), record


def _why(option: str, scores: dict[str, dict[str, float]]) -> str:
    row = scores[option]
    blended = json.dumps({o: r["score"] for o, r in scores.items()})
    return (
        f"ranked first: model {row['model']:.2f} (relative likelihood), knowledge {row['known']:.2f} "
        f"(success score), blended {row['score']:.2f}; all: {blended}"
    )


def _proposal(plan: PlanProposal, record: dict[str, Any]) -> Proposal:
    intent: Intent = "none" if plan.action == NO_ACTION else "escalate" if plan.action == ESCALATE else "act"
    return Proposal(
        intent,
        None if intent != "act" else plan.action,
        "llm",
        plan.rationale[:500],
        confidence=plan.confidence,
        risk=plan.risk,
        params=dict(plan.params),
        llm=record,
    )

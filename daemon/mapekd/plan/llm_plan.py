"""The LLM as a decision source: analyze.j2 reads the situation, plan.j2 chooses among the
candidates. Both are fed by what the knowledge base remembers; neither decides anything itself:
the plan comes back as a Proposal for the guardrails."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from mapekd.knowledge.base import Store
from mapekd.llm.config import LLMSettings
from mapekd.plan.analysis_limit import AnalysisLimiter, KindAsked
from mapekd.plan.llm_call import Asked, LLMCaller
from mapekd.plan.proposal import Candidate, Intent, Proposal
from mapekd.prompting import (
    Analysis,
    CandidateView,
    PlanProposal,
    analysis_schema,
    analyze_context,
    copies_example,
    parse_analysis,
    parse_plan,
    plan_context,
    plan_schema,
    snapshot_host,
)
from mapekd.prompting.host import OtherProcesses
from mapekd.situation import Situation

log = logging.getLogger("mapekd.decision")


class LLMPlanner:
    def __init__(
        self,
        caller: LLMCaller,
        store: Store,
        settings: LLMSettings,
        limiter: AnalysisLimiter | None = None,
        *,
        others: OtherProcesses = "names",
    ) -> None:
        """`limiter`: how often analyses may be asked (None: every time, e.g. an evaluation).
        `others`: what the analysis shows of processes no check watches (redaction.other_processes)."""
        self.caller = caller
        self.store = store
        self.settings = settings
        self.limiter = limiter
        self.others = others

    async def analyze(self, situation: Situation) -> Asked[Analysis]:
        host = await asyncio.to_thread(snapshot_host, watched=situation.watched, others=self.others)
        similar = self.store.similar_incidents(
            situation.signature, situation.rule, exclude=situation.incident_id
        )
        context = analyze_context(situation, host, similar)
        return await self.caller.ask(
            "analyze.j2",
            context,
            analysis_schema(),
            parse_analysis,
            role="analyze",
            incident_id=situation.incident_id,
            deadline=self.settings.analyze_deadline,
        )

    async def analyze_and_record(self, situation: Situation) -> Analysis | None:
        """The analysis, stored with the incident, within the limiter's bounds: a kind asked
        lately is reused or skipped, and past the hourly limit the model is not asked."""
        limiter, signature = self.limiter, situation.signature
        if limiter is None:
            return (await self._ask_and_record(situation))[0]
        verdict = limiter.admit(signature, situation.incident_id, time.time())
        if verdict.reuse is not None:
            return self._reuse(situation, verdict.reuse)
        if not verdict.ask:
            log.info(
                "analysis skipped",
                extra={
                    "event": {
                        "event": "analysis_skipped",
                        "incident": situation.incident_id,
                        "signature": signature,
                        "reason": verdict.skipped,
                    }
                },
            )
            return None
        try:
            parsed, row = await self._ask_and_record(situation)
        except BaseException:  # cancelled (the daemon stopping) or failed: never answered
            limiter.abandoned(signature)
            raise
        limiter.answered(signature, row if parsed is not None else None)
        return parsed

    async def _ask_and_record(self, situation: Situation) -> tuple[Analysis | None, dict[str, Any]]:
        """The model's analysis, stored with the incident (state ok or invalid, raw and parsed)."""
        asked = await self.analyze(situation)
        parsed = asked.parsed
        row = {
            "incident_id": situation.incident_id,
            "ts": time.time(),
            "state": "ok" if parsed else "invalid",
            "summary": parsed.summary if parsed else "",
            "confidence": parsed.confidence if parsed else None,
            "suspected_cause": parsed.suspected_cause if parsed else "",
            "raw": asked.raw,
            "error": asked.error,
            "parsed": parsed.model_dump_json() if parsed else None,
            "prompt_template": asked.template,
            "prompt_version": asked.version,
            "model": asked.model,
            "latency_ms": asked.latency_ms,
        }
        self.store.record_analysis(row)
        return parsed, row

    def _reuse(self, situation: Situation, earlier: KindAsked) -> Analysis:
        """The earlier analysis of this kind, recorded for this incident too, marked as reused."""
        assert earlier.row is not None
        marker = f"reused: the analysis of incident {earlier.incident_id} (same kind), not asked again"
        row = {**earlier.row, "incident_id": situation.incident_id, "ts": time.time()}
        self.store.record_analysis({**row, "raw": marker, "latency_ms": 0.0})
        log.info(
            "analysis reused",
            extra={
                "event": {
                    "event": "analysis_reused",
                    "incident": situation.incident_id,
                    "signature": situation.signature,
                    "from_incident": earlier.incident_id,
                }
            },
        )
        return Analysis.model_validate_json(str(row["parsed"]))

    async def plan(
        self, situation: Situation, analysis: Analysis | None, candidates: list[Candidate]
    ) -> tuple[Proposal | None, dict[str, Any]]:
        """The LLM's proposal (None when it gave no valid one) and what to record of the call."""
        names = [c.name for c in candidates]
        views = [
            CandidateView(c.name, c.kind, c.description, situation.target, c.risk, c.successes, c.tries)
            for c in candidates
        ]
        context = plan_context(
            situation,
            analysis,
            views,
            self.store.recent_actions(situation.target),
            self.store.matching_runbooks(
                situation.rule, situation.check, situation.signature, summary=situation.symptom
            ),
        )
        asked = await self.caller.ask(
            "plan.j2",
            context,
            plan_schema(names),
            lambda t: parse_plan(t, names),
            role="plan",
            incident_id=situation.incident_id,
            deadline=self.settings.plan_deadline,
        )
        record = asked.record()
        if asked.parsed is None:
            return None, record
        record["parsed"] = asked.parsed.model_dump()
        if copies_example(asked.parsed):  # valid, but the prompt's example, not a judgment
            record["error"] = "the model repeated the prompt's example answer: no opinion of its own"
            return None, record
        return _proposal(asked.parsed, record), record


def _proposal(plan: PlanProposal, record: dict[str, Any]) -> Proposal:
    intent: Intent = "none" if plan.action == "none" else "escalate" if plan.action == "escalate" else "act"
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

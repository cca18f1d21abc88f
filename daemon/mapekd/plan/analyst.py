"""The analysis of an incident: asked of the model (analyze.j2) within the limiter's bounds,
checked for grounding, stored with the incident, reused for a known cause.

Style: `structured` (a cause class, cited evidence ids, a suggested candidate; for small models)
or `prose`; `auto` is structured where the model asked first can rank (the local model). Every
analysis is checked against what the model was shown (prompting.grounding): one citing what is
not there is recorded `grounded` 0 with what it invented, and is not handed to the plan. An
incident whose cause fingerprint has a recorded grounded analysis within `plan.analysis_reuse`
gets that one again (`reused_from`), with no model call."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from mapekd.config.settings import PlanConfig
from mapekd.knowledge.base import Store
from mapekd.plan.alike import evidence_alike
from mapekd.plan.analysis_limit import AnalysisLimiter
from mapekd.plan.analysis_reuse import asked_before, grounded_analysis
from mapekd.plan.llm_call import Asked, LLMCaller
from mapekd.prompting import (
    Analysis,
    AnalysisStyle,
    CauseAnalysis,
    Grounding,
    ProseAnalysis,
    analysis_schema,
    analyze_context,
    cause_schema,
    evidence_ids,
    ground,
    parse_analysis,
    parse_cause,
    snapshot_host,
)
from mapekd.prompting.host import OtherProcesses
from mapekd.situation import Situation

log = logging.getLogger("mapekd.decision")


class Analyst:
    def __init__(
        self,
        caller: LLMCaller,
        store: Store,
        config: PlanConfig,
        deadline: float,
        limiter: AnalysisLimiter | None,
        others: OtherProcesses,
    ) -> None:
        self.caller = caller
        self.store = store
        self.config = config
        self.deadline = deadline
        self.limiter = limiter
        self.others = others

    def style(self) -> AnalysisStyle:
        if self.config.analysis_style != "auto":
            return self.config.analysis_style
        return "structured" if self.caller.can_rank("analyze") else "prose"

    async def analyze(
        self, situation: Situation, candidates: Sequence[str] = ()
    ) -> tuple[Asked[Analysis], Grounding | None]:
        """The model's analysis and whether it is grounded (None: no valid analysis to check)."""
        host = await asyncio.to_thread(snapshot_host, watched=situation.watched, others=self.others)
        similar = self.store.similar_incidents(
            situation.signature, situation.rule, exclude=situation.incident_id
        )
        style, names = self.style(), list(candidates)
        alike = evidence_alike(self.store, situation)
        context = analyze_context(situation, host, similar, style=style, candidates=names, alike=alike)
        ids = evidence_ids(situation.evidence)
        asked: Asked[Analysis] = await self.caller.ask(
            "analyze.j2",
            context,
            cause_schema(ids, names) if style == "structured" else analysis_schema(),
            (lambda t: parse_cause(t, names)) if style == "structured" else parse_analysis,
            role="analyze",
            incident_id=situation.incident_id,
            deadline=self.deadline,
        )
        if asked.parsed is None:
            return asked, None
        observed = {
            k: v for k, v in context.items() if k not in ("similar", "alike", "causes", "suggestions")
        }
        return asked, ground(asked.parsed, ids, observed)

    async def analyze_and_record(
        self, situation: Situation, candidates: Sequence[str] = ()
    ) -> Analysis | None:
        """The grounded analysis (asked, or reused for a known cause), stored with the incident;
        None when skipped by the limits, invalid or ungrounded (then stored as such)."""
        earlier = self._known_cause(situation)
        if earlier is not None:
            return self._reuse(situation, earlier)
        asked = self._asked_before(situation)
        if asked is not None:
            how = "ungrounded" if asked["state"] == "ok" else str(asked["state"])
            why = f"this cause was analysed before (analysis {asked['id']}, {how}): not asked again"
            _event("analysis skipped", "analysis_skipped", situation, reason=why)
            return None
        limiter, kind = self.limiter, situation.fingerprint or situation.signature
        if limiter is None:
            return (await self._ask_and_record(situation, candidates))[0]
        verdict = limiter.admit(kind, situation.incident_id, time.time())
        if verdict.reuse is not None:
            assert verdict.reuse.row is not None
            return self._reuse(situation, verdict.reuse.row)
        if not verdict.ask:
            _event("analysis skipped", "analysis_skipped", situation, reason=verdict.skipped)
            return None
        try:
            parsed, row = await self._ask_and_record(situation, candidates)
        except BaseException:  # cancelled (the daemon stopping) or failed: never answered
            limiter.abandoned(kind)
            raise
        limiter.answered(kind, row if parsed is not None else None)
        return parsed

    def _known_cause(self, situation: Situation) -> dict[str, Any] | None:
        if situation.fingerprint is None:
            return None
        since = time.time() - self.config.analysis_reuse
        return grounded_analysis(self.store, situation.fingerprint, since)

    def _asked_before(self, situation: Situation) -> dict[str, Any] | None:
        if situation.fingerprint is None:
            return None
        return asked_before(self.store, situation.fingerprint, time.time() - self.config.analysis_reuse)

    async def _ask_and_record(
        self, situation: Situation, candidates: Sequence[str]
    ) -> tuple[Analysis | None, dict[str, Any]]:
        asked, grounding = await self.analyze(situation, candidates)
        parsed = asked.parsed
        row = {
            "incident_id": situation.incident_id,
            "ts": time.time(),
            "state": "ok" if parsed else "invalid",
            **_display(parsed),
            "raw": asked.raw,
            "error": asked.error,
            "parsed": parsed.model_dump_json() if parsed else None,
            "prompt_template": asked.template,
            "prompt_version": asked.version,
            "model": asked.model,
            "latency_ms": asked.latency_ms,
            "fingerprint": situation.fingerprint,
            "grounded": None if grounding is None else int(grounding.grounded),
            "unsupported": json.dumps(grounding.unsupported) if grounding and grounding.unsupported else None,
        }
        row["id"] = self.store.record_analysis(row)
        if grounding is not None and not grounding.grounded:
            _event(
                "analysis ungrounded",
                "analysis_ungrounded",
                situation,
                unsupported=list(grounding.unsupported),
            )
            return None, row
        return parsed, row

    def _reuse(self, situation: Situation, earlier: dict[str, Any]) -> Analysis:
        """The earlier analysis, recorded for this incident too, marked as reused."""
        marker = f"reused: the analysis of incident {earlier['incident_id']} (same cause), not asked again"
        keep = ("state", "summary", "suspected_cause", "confidence", "parsed", "prompt_template")
        row = {k: earlier.get(k) for k in (*keep, "prompt_version", "model", "grounded")}
        self.store.record_analysis(
            {
                **row,
                "incident_id": situation.incident_id,
                "ts": time.time(),
                "raw": marker,
                "latency_ms": 0.0,
                "fingerprint": situation.fingerprint,
                "reused_from": earlier["id"],
            }
        )
        _event("analysis reused", "analysis_reused", situation, from_incident=earlier["incident_id"])
        return parsed_analysis(str(earlier["parsed"]))


def parsed_analysis(text: str) -> Analysis:
    """A stored analysis back as its type (the structured one has a `cause`)."""
    fields = json.loads(text)
    return CauseAnalysis.model_validate(fields) if "cause" in fields else ProseAnalysis.model_validate(fields)


def _display(parsed: Analysis | None) -> dict[str, Any]:
    """The columns people and full-text search read: for a structured analysis, its fields."""
    if parsed is None:
        return {"summary": "", "confidence": None, "suspected_cause": ""}
    if isinstance(parsed, ProseAnalysis):
        return {
            "summary": parsed.summary,
            "confidence": parsed.confidence,
            "suspected_cause": parsed.suspected_cause,
        }
    cited = ", ".join(parsed.evidence) or "no evidence"
    summary = f"cause class {parsed.cause} ({cited}); suggested {parsed.suggested}"
    return {"summary": summary, "confidence": None, "suspected_cause": parsed.cause}


def _event(message: str, name: str, situation: Situation, **fields: Any) -> None:
    event = {"event": name, "incident": situation.incident_id, "signature": situation.signature, **fields}
    log.info(message, extra={"event": event})

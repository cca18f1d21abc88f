"""Carrying out one decision: record it, record the execution as started, run the action, record
how it ended, start verification. In dry-run the same path runs and nothing is executed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mapekd.analyze.incidents import ActiveIncident
from mapekd.analyze.rules.base import Rule
from mapekd.errors import ActionError, StoreError
from mapekd.execute.base import Action, ActionRequest, ExecResult
from mapekd.execute.params import build_params
from mapekd.execute.records import decision_event, finished_row
from mapekd.execute.verify import Pending, Verifier
from mapekd.knowledge.base import Store
from mapekd.plan.enforcer import Admitted
from mapekd.plan.policy import Counter
from mapekd.plan.proposal import Candidate, Proposal

if TYPE_CHECKING:
    from mapekd.metrics import LoopMetrics

log = logging.getLogger("mapekd.decision")


def decision_row(
    incident: ActiveIncident,
    proposal: Proposal,
    candidates: list[Candidate],
    verdict: str,
    *,
    dry_run: bool,
    risk: str | None = None,
) -> dict[str, Any]:
    llm = proposal.llm
    return {
        "incident_id": incident.id,
        "ts": time.time(),
        "verdict": verdict,
        "action": proposal.action,
        "target": incident.symptom.target,
        "candidates": [c.name for c in candidates],
        "source": proposal.source,
        "risk": risk or proposal.risk,
        "confidence": proposal.confidence,
        "reason": proposal.reason,
        "dry_run": dry_run,
        "override_reason": proposal.override_reason,
        "prompt_template": llm.get("template"),
        "prompt_version": llm.get("version"),
        "model": llm.get("model"),
        "proposal_raw": llm.get("raw"),
        "latency_ms": llm.get("latency_ms"),
        "proposal": json.dumps(llm["parsed"]) if "parsed" in llm else None,
        "fingerprint": proposal.fingerprint,
    }


class Actor:
    def __init__(
        self,
        store: Store,
        verifier: Verifier,
        *,
        dry_run: bool,
        before_action: Callable[[], None] | None,
        metrics: LoopMetrics | None = None,
        scrub: Callable[[str], str] = str,
    ) -> None:
        self.scrub = scrub
        """Masks secrets in what a remedy wrote, before it is stored."""
        self.metrics = metrics
        self.store = store
        self.verifier = verifier
        self.dry_run = dry_run
        self.before_action = before_action

    def record(self, incident: ActiveIncident, row: dict[str, Any], counter: Counter, message: str) -> int:
        decision_id = self.store.record_decision(row)
        if self.metrics is not None:
            self.metrics.decision(row["source"], row["verdict"])
        level = logging.ERROR if row["verdict"] in ("refused", "gave_up") else logging.WARNING
        log.log(level, message, extra={"event": decision_event(row, decision_id, incident, counter)})
        return decision_id

    async def run(
        self,
        incident: ActiveIncident,
        rule: Rule,
        proposal: Proposal,
        candidates: list[Candidate],
        admitted: Admitted,
    ) -> None:
        """Record and run a remedy the enforcer admitted (its lease is released once it ends)."""
        try:
            assert proposal.action is not None
            verdict = "would_execute" if self.dry_run else "execute"
            row = decision_row(
                incident, proposal, candidates, verdict, dry_run=self.dry_run, risk=admitted.config.risk
            )
            try:
                row["params"] = _params(incident, rule)
            except ActionError as exc:
                refused = {**row, "verdict": "refused", "source": "policy", "reason": str(exc)}
                self.record(incident, refused, admitted.counter, "decision refused")
                return
            decision_id = self.record(incident, row, admitted.counter, "healing decision")
            started = time.time()
            execution_id, result = await self._recorded_run(decision_id, incident, admitted, row["params"])
            if self.metrics is not None:
                self.metrics.execution(proposal.action, result.state if result else "would_execute")
            pending = Pending(decision_id, execution_id, rule.check, started=started)
            self.verifier.start(incident, rule, pending, result, admitted.config.settle)
        finally:
            admitted.lease.release()

    async def _recorded_run(
        self, decision_id: int, incident: ActiveIncident, admitted: Admitted, params: dict[str, str]
    ) -> tuple[int, ExecResult | None]:
        """The execution row is written `started` before the action runs and completed after (or
        marked interrupted when the daemon stops in between)."""
        execution_id = self.store.start_execution(
            {
                "decision_id": decision_id,
                "incident_id": incident.id,
                "action": admitted.config.name,
                "target": incident.symptom.target,
                "effect": admitted.effect,
                "started_at": time.time(),
                "state": "would_execute" if self.dry_run else "started",
            }
        )
        try:
            result = await self._execute(admitted.action, incident, params)
        except asyncio.CancelledError:
            self._record_interrupted(execution_id)
            raise  # the cancellation itself, even when it could not be recorded
        self.store.finish_execution(execution_id, finished_row(result, self.scrub))
        return execution_id, result

    def _record_interrupted(self, execution_id: int) -> None:
        values = {
            "state": "interrupted",
            "finished_at": time.time(),
            "error": "daemon stopped before the action completed",
        }
        try:
            self.store.finish_execution(execution_id, values)
        except StoreError:  # a failed record must not turn a shutdown into an error to carry on from
            log.exception(
                "cannot record the interrupted action", extra={"event": {"execution": execution_id}}
            )

    async def _execute(
        self, action: Action, incident: ActiveIncident, params: dict[str, str]
    ) -> ExecResult | None:
        if self.dry_run:
            return None
        if self.before_action is not None:
            self.before_action()
        request = ActionRequest(incident.id, incident.symptom.signature, incident.symptom.target, params)
        try:
            return await action.run(request)
        except ActionError as exc:
            return ExecResult("failed", 0.0, error=str(exc))


def _params(incident: ActiveIncident, rule: Rule) -> dict[str, str]:
    """The placeholder values for this incident's remedy; ActionError for an unsafe target."""
    symptom = incident.symptom
    return build_params(
        incident_id=incident.id,
        rule=rule.name,
        check=rule.check,
        target=symptom.target,
        fields=symptom.fields,
    )

"""Plan and Execute for one incident: candidates, policy, a decision from the cheapest source that
settles it, then execution and verification (or an approval, or an escalation).

Decisions that need the LLM run in a task of their own, never inside the cycle: a slow model
never delays crash detection or the healing of another incident.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mapekd.analyze.incidents import ActiveIncident, IncidentTracker
from mapekd.analyze.rules.base import Rule
from mapekd.analyze.services import Attachment
from mapekd.config.settings import Settings
from mapekd.credentials import Scrubber
from mapekd.errors import StoreError
from mapekd.evidence.causes import Causes, GatherersFor, registered_gatherers
from mapekd.execute.act import Actor, decision_row
from mapekd.execute.base import Action
from mapekd.execute.verify import Recheck, Verifier
from mapekd.knowledge.base import Store
from mapekd.notify.dispatcher import Notifier
from mapekd.notify.notice import Event, Notice
from mapekd.notify.sink import NoticeSink
from mapekd.plan.candidates import FleetAdvice, candidates_for
from mapekd.plan.decide import Decider
from mapekd.plan.enforcer import Admission, Admitted, Enforcer, GiveUp, Held, NeedsApproval, Refused
from mapekd.plan.escalation import Escalation
from mapekd.plan.policy import Counter, Policy, seeded_ledger
from mapekd.plan.proposal import Candidate, Proposal
from mapekd.plan.story import Story
from mapekd.plan.tasks import IncidentTasks
from mapekd.plan.tried import Narrowed
from mapekd.situation import Situation

if TYPE_CHECKING:
    from mapekd.metrics import LoopMetrics
    from mapekd.plan.llm_plan import LLMPlanner
    from mapekd.prompting import Analysis

log = logging.getLogger("mapekd.decision")
SituationOf = Callable[[ActiveIncident, Rule], Situation]


class Healer:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        tracker: IncidentTracker,
        actions: dict[str, Action],
        recheck: Recheck,
        *,
        dry_run: bool,
        before_action: Callable[[], None] | None = None,
        planner: LLMPlanner | None = None,
        situation_of: SituationOf | None = None,
        metrics: LoopMetrics | None = None,
        enforcer: Enforcer | None = None,
        gatherers_for: GatherersFor = registered_gatherers,
    ) -> None:
        self.settings = settings
        self.store = store
        self.actions = actions
        self.dry_run = dry_run
        if enforcer is None:  # a daemon passes its own, which outlives reloads
            enforcer = Enforcer(settings, actions, seeded_ledger(store, settings.policy.window, time.time()))
        self.use_enforcer(enforcer)
        sinks = {n: a for n, a in actions.items() if isinstance(a, NoticeSink)}
        scrub = Scrubber.from_settings(settings)
        self.notifier = Notifier(
            settings.notifications, settings.policy.escalate, sinks, store, dry_run=dry_run, scrub=scrub
        )
        self.escalation = Escalation(store, tracker, self.notifier, dry_run=dry_run, metrics=metrics)
        self.tracker = tracker
        self.story = Story(
            settings,
            tracker,
            deciding=lambda i: i in self.planning,
            execution_of=lambda i: self.verifier.execution_of(i),
            collect=self._collect_now,
        )
        relapses = self.story.relapses
        self.verifier = Verifier(
            store, tracker, recheck, dry_run=dry_run, on_outcome=self._on_outcome, relapses=relapses
        )
        self.metrics = metrics
        self.actor = Actor(
            store,
            self.verifier,
            dry_run=dry_run,
            before_action=before_action,
            metrics=metrics,
            scrub=scrub,
        )
        self.configs = {a.name: a for a in settings.actions}
        self.planner = planner
        self.situation_of = situation_of
        self.decider = Decider(
            settings.plan, self.configs, planner, prefer_knowledge=settings.policy.prefer_knowledge
        )
        self.planning = IncidentTasks("deciding")
        self.analyzing = IncidentTasks("analysis")
        self.analyzed: set[int] = set()
        self.analyses: dict[int, Analysis] = {}
        """The latest valid analysis per incident, for a later plan of the same incident."""
        self.settled: set[int] = set()
        """Incidents decided for good (no action, escalated, waiting for or refused an approval)."""
        self.on_approval_requested: Callable[[], None] | None = None
        """Told when a decision starts waiting for a person (the approval gate polls from then)."""
        self.causes = Causes.from_settings(settings, store, gatherers_for)
        self.fleet: FleetAdvice | None = None
        """The fleet's record, added to each candidate (knowledge.fleet; set by the daemon)."""
        tracker.on_resolved = self._on_resolved
        tracker.on_opened = self.story.opened

    def use_enforcer(self, enforcer: Enforcer) -> None:
        self.enforcer = enforcer

    @property
    def policy(self) -> Policy:
        return self.enforcer.policy

    @property
    def on_settled(self) -> Callable[[str], None] | None:
        return self.verifier.on_settled

    @on_settled.setter
    def on_settled(self, kick: Callable[[str], None] | None) -> None:
        self.verifier.on_settled = kick

    def settle_now(self, check: str, watched_since: float) -> None:
        self.verifier.settle_now(check, watched_since)

    def busy(self, incident_id: int) -> bool:
        return incident_id in self.settled or incident_id in self.planning or self.verifier.busy(incident_id)

    def candidates(self, incident: ActiveIncident, rule: Rule) -> list[Candidate]:
        sym = incident.symptom
        cause = self.causes.known(incident.id).fingerprint
        found = candidates_for(rule, sym.target, self.actions, self.configs, self.store, sym.signature, cause)
        return self.fleet.annotate(sym.signature, sym.target, cause, found) if self.fleet else found

    async def handle(self, incident: ActiveIncident, rule: Rule, now: float) -> None:
        if self.busy(incident.id):
            return
        attached = self.story.attach(incident, rule)
        if attached is not None:
            self._follow(incident, attached)
        if attached is not None or incident.status == "gave_up":
            return
        self.causes.start(incident, rule.check, lambda: self._observed(incident, rule))
        candidates = self.candidates(incident, rule)
        if not candidates:
            self._settle_without_action(incident, "no applicable remedy")
            return
        if self.causes.pending(incident.id) and self.causes.depends_on_cause(
            incident.symptom.signature, candidates
        ):
            self.planning.spawn(incident.id, self._after_cause(incident, rule))
            return
        await self._decide(incident, rule, candidates, now)

    def _observed(self, incident: ActiveIncident, rule: Rule) -> dict[str, Any]:
        """The fields of the check's latest sample of the target (what gatherers start from)."""
        samples = self.situation_of(incident, rule).samples if self.situation_of is not None else []
        return dict(samples[-1].fields) if samples else {}

    async def _after_cause(self, incident: ActiveIncident, rule: Rule) -> None:
        """A decision the cause may change, made once it is known (or `evidence.wait` passed)."""
        await self.causes.wait(incident.id)
        if self.tracker.is_active(incident.id):
            await self._decide(incident, rule, self.candidates(incident, rule), time.time())

    async def _decide(
        self, incident: ActiveIncident, rule: Rule, candidates: list[Candidate], now: float
    ) -> None:
        target = incident.symptom.target
        verdict, counter = self.policy.verdict(target, now)
        flapping = self.story.flapping(incident)
        if flapping is not None:
            self.escalation.give_up(incident, [c.name for c in candidates], counter, why=flapping)
            return
        if verdict == "cooldown":
            return
        if verdict == "give_up":
            self.escalation.give_up(incident, [c.name for c in candidates], counter)
            return
        narrowed = self.story.narrow(incident, candidates)
        proposal = self.decider.fast(narrowed.candidates, self.causes.known(incident.id).classified)
        if proposal is not None:
            proposal.reason = narrowed.explain(proposal.reason)
            await self.carry_out(incident, rule, proposal, candidates, counter)
            if incident.id not in self.analyzed:
                self.analyzed.add(incident.id)  # one analysis per incident, however often it acts
                self.analyzing.spawn(incident.id, self._analyze(incident, rule))
        else:
            self.planning.spawn(incident.id, self._plan(incident, rule, candidates, narrowed))

    async def carry_out(
        self,
        incident: ActiveIncident,
        rule: Rule,
        proposal: Proposal,
        candidates: list[Candidate],
        counter: Counter,
    ) -> None:
        proposal.fingerprint = self.causes.known(incident.id).fingerprint
        if proposal.intent != "act":
            self._record_without_action(incident, proposal, candidates, counter)
            return
        admission = self._admit(incident, proposal)
        if isinstance(admission, Admitted):
            await self._run(incident, rule, proposal, candidates, admission)
        elif isinstance(admission, NeedsApproval):
            self._request_approval(incident, proposal, candidates, counter, admission)
        else:
            self._not_admitted(incident, proposal, candidates, counter, admission)

    def _admit(self, incident: ActiveIncident, proposal: Proposal) -> Admission:
        decided_with = self.configs.get(proposal.action or "")
        if decided_with is None:
            return Refused(f"{proposal.action!r} is not an action of this configuration")
        return self.enforcer.admit(proposal, incident.symptom.target, decided_with, time.time())

    def _not_admitted(
        self,
        incident: ActiveIncident,
        proposal: Proposal,
        candidates: list[Candidate],
        counter: Counter,
        admission: Admission,
    ) -> None:
        """Held: nothing recorded, decided again later. Give up: escalate once. Refused: recorded."""
        if isinstance(admission, Held):
            log.info(
                "remedy held back",
                extra={
                    "event": {
                        "event": "held",
                        "incident": incident.id,
                        "action": proposal.action,
                        "reason": admission.reason,
                    }
                },
            )
        elif isinstance(admission, GiveUp):
            self.escalation.give_up(incident, [c.name for c in candidates], admission.counter)
        elif isinstance(admission, Refused):
            row = decision_row(incident, proposal, candidates, "refused", dry_run=self.dry_run)
            self.actor.record(
                incident, {**row, "source": "policy", "reason": admission.reason}, counter, "decision refused"
            )

    def _record_without_action(
        self, incident: ActiveIncident, proposal: Proposal, candidates: list[Candidate], counter: Counter
    ) -> None:
        self.settled.add(incident.id)
        verdict = "escalate" if proposal.intent == "escalate" else "no_action"
        row = decision_row(incident, proposal, candidates, verdict, dry_run=self.dry_run)
        decision_id = self.actor.record(incident, row, counter, f"healing decision: {verdict}")
        if verdict == "escalate":
            self._notify(
                "escalated", incident, decision_id, {"action": proposal.action, "reason": proposal.reason}
            )

    def _follow(self, incident: ActiveIncident, attached: Attachment) -> None:
        """Part of another incident's story: recorded once (no action of its own, and why), or
        escalated with it when that incident gave up."""
        _, counter = self.policy.verdict(incident.symptom.target, time.time())
        if attached.escalate and incident.status != "gave_up":
            self.escalation.give_up(incident, [], counter, why=attached.reason)
            return
        if not attached.first or attached.escalate:
            return
        proposal = Proposal("none", None, "policy", attached.reason)
        row = decision_row(incident, proposal, [], "no_action", dry_run=self.dry_run)
        self.actor.record(incident, row, counter, f"part of incident {attached.lead}: not decided on its own")

    def _request_approval(
        self,
        incident: ActiveIncident,
        proposal: Proposal,
        candidates: list[Candidate],
        counter: Counter,
        waiting: NeedsApproval,
    ) -> None:
        """A person decides (or, for a deferred one, its maintenance window opens first)."""
        assert proposal.action is not None
        self.settled.add(incident.id)
        verdict = "deferred" if waiting.not_before is not None else "pending_approval"
        row = decision_row(incident, proposal, candidates, verdict, dry_run=self.dry_run)
        reason = (
            waiting.reason if waiting.reason == proposal.reason else f"{proposal.reason}; {waiting.reason}"
        )
        decision_id = self.actor.record(
            incident, {**row, "reason": reason}, counter, f"healing decision: {verdict}"
        )
        ttl = self.settings.plan.approval_ttl
        approval = self.store.request_approval(
            decision_id,
            incident.id,
            proposal.action,
            incident.symptom.target,
            ttl,
            not_before=waiting.not_before,
            expires_at=waiting.expires_at,
        )
        if self.on_approval_requested is not None:
            self.on_approval_requested()
        log.warning(
            "waiting for approval",
            extra={
                "event": {
                    "event": "approval_requested",
                    "approval": approval,
                    "incident": incident.id,
                    "action": proposal.action,
                    "ttl_s": ttl,
                    "not_before": waiting.not_before,
                }
            },
        )
        self._notify("approval_needed", incident, decision_id, {"action": proposal.action, "reason": reason})

    async def run_approved(
        self, incident: ActiveIncident, rule: Rule, proposal: Proposal, claim: Callable[[], bool]
    ) -> Admission:
        """An approved proposal (`proposal.approval` set): admitted by the enforcer like any other,
        then `claim()` marks the approval executed (compare-and-set: False when it was decided,
        claimed or expired meanwhile), and only then it runs."""
        proposal.fingerprint = self.causes.known(incident.id).fingerprint
        admission = self._admit(incident, proposal)
        if isinstance(admission, Admitted):
            if not claim():
                admission.lease.release()
                return Refused("the approval was claimed, decided or expired meanwhile")
            await self._run(incident, rule, proposal, self.candidates(incident, rule), admission)
        return admission

    async def _run(
        self,
        incident: ActiveIncident,
        rule: Rule,
        proposal: Proposal,
        candidates: list[Candidate],
        admitted: Admitted,
    ) -> None:
        """The story knows the remedy in hand from now until its verification ends (at once when
        none started: the decision was refused, or the run failed to start)."""
        self.story.acting(incident, admitted.config.name)
        try:
            await self.actor.run(incident, rule, proposal, candidates, admitted)
        finally:
            if not self.verifier.busy(incident.id):
                self.story.idle(incident)

    async def _plan(
        self, incident: ActiveIncident, rule: Rule, candidates: list[Candidate], narrowed: Narrowed
    ) -> None:
        # The plan comes first (a local model serves one call at a time): time to mitigate does
        # not wait for the analysis, which follows and is attached to the incident (a plan prompt
        # includes an analysis when one is already there).
        assert self.situation_of is not None
        situation = self.situation_of(incident, rule)
        analysis = self.analyses.get(incident.id)
        proposal = await self.decider.slow(situation, narrowed.candidates, analysis)
        proposal.reason = narrowed.explain(proposal.reason)
        if not self.tracker.is_active(incident.id):  # it healed while the model thought
            log.info(
                "incident resolved before its decision; nothing to do",
                extra={
                    "event": {"event": "decision_moot", "incident": incident.id, "action": proposal.action}
                },
            )
            return
        verdict, counter = self.policy.verdict(incident.symptom.target, time.time())
        if verdict == "act":  # else something acted on the target meanwhile; decide again later
            await self.carry_out(incident, rule, proposal, candidates, counter)
        if incident.id not in self.analyzed:
            self.analyzed.add(incident.id)
            self.analyzing.spawn(incident.id, self._analyze(incident, rule))

    async def _analyze(self, incident: ActiveIncident, rule: Rule) -> None:
        """After a fast decision: the analysis, attached to the incident (never before acting)."""
        if self.planner is not None and self.situation_of is not None and self.settings.plan.analyze:
            await self.causes.wait(incident.id, self.settings.evidence.deadline)  # the evidence, too
            names = [c.name for c in self.candidates(incident, rule)]
            await self._analysis_of(self.situation_of(incident, rule), names)

    async def _analysis_of(self, situation: Situation, candidates: Sequence[str] = ()) -> Analysis | None:
        assert self.planner is not None
        analysis = await self.planner.analyze_and_record(situation, candidates)
        if analysis is not None:
            self.analyses[situation.incident_id] = analysis
        return analysis

    def _settle_without_action(self, incident: ActiveIncident, why: str) -> None:
        if incident.id not in self.settled:
            self.settled.add(incident.id)
            log.warning(
                why,
                extra={
                    "event": {
                        "event": "no_remedy",
                        "incident": incident.id,
                        "signature": incident.symptom.signature,
                    }
                },
            )

    def _notify(
        self, event: Event, incident: ActiveIncident, decision_id: int, details: dict[str, Any]
    ) -> None:
        sym = incident.symptom
        self.notifier.send(
            Notice(event, incident.id, decision_id, sym.signature, sym.target, sym.message, details)
        )

    def _on_outcome(self, incident: ActiveIncident, decision_id: int, outcome: str, detail: str) -> None:
        self.story.outcome(incident, outcome)
        if self.metrics is not None:
            self.metrics.outcome(incident.symptom.rule, outcome, time.time() - incident.opened_at)
        if outcome == "failed":
            self._notify("action_failed", incident, decision_id, {"detail": detail})

    def _collect_now(self, check: str) -> None:
        if self.verifier.on_settled is not None:
            self.verifier.on_settled(check)

    def _on_resolved(self, row: dict[str, Any]) -> None:
        self.causes.forget(int(row["id"]))
        self.story.resolved(int(row["id"]))
        try:
            decision_id = self.store.failed_decision(int(row["id"]))
        except StoreError:  # the base is down: that notice is lost, healing goes on
            return
        if decision_id is not None:
            self.notifier.send(
                Notice(
                    "resolved_after_failure",
                    int(row["id"]),
                    decision_id,
                    row["signature"],
                    row["target"],
                    row["summary"],
                    {},
                )
            )

    async def drain(self, timeout: float) -> None:
        """Shutdown (and a reload's retirement): analyses are cancelled at once (the model's work
        is never waited for); decisions, verifications and notifications in flight get
        `timeout` each."""
        analyses = list(self.analyzing.tasks.values())
        for task in analyses:
            task.cancel()
        await asyncio.gather(*analyses, return_exceptions=True)
        planning = list(self.planning.tasks.values())
        if planning:
            _, pending = await asyncio.wait(planning, timeout=timeout)
            for task in pending:
                task.cancel()
        await asyncio.gather(
            self.verifier.drain(timeout), self.notifier.drain(timeout), self.causes.drain(timeout)
        )

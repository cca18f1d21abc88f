"""The cause of each incident, as the healer sees it: evidence gathered once, at incident open,
off the loop; reduced to a fingerprint; stored with the incident (after the decision when that
one did not wait for it).

The evidence is also read for its cause class (evidence/classify.py), which decides among
remedies that declare the causes they treat.

A decision that depends on the cause (a choice among several candidates, a remedy that declares
the causes it treats, or a signature whose knowledge is split across several causes) waits for
it, at most `evidence.wait`; a rule's single undeclared remedy does not wait. An incident opened
before this healer started (a restart, a reload) is not gathered again: its stored fingerprint
and evidence are read back instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mapekd.analyze.incidents import ActiveIncident
from mapekd.config.settings import Settings
from mapekd.credentials import Scrubber
from mapekd.errors import StoreError
from mapekd.evidence.base import EvidenceItem, Gatherer
from mapekd.evidence.classify import Classified, classify, compile_patterns
from mapekd.evidence.collect import Collector
from mapekd.evidence.fingerprint import fingerprint
from mapekd.evidence.registry import gatherers_for
from mapekd.knowledge.base import Store
from mapekd.plan.proposal import Candidate

log = logging.getLogger("mapekd.evidence")
GatherersFor = Callable[[Settings], Mapping[str, Sequence[Gatherer]]]
KEPT = 1024
"""Incidents whose cause is kept in memory (the oldest forgotten first; the base keeps all)."""


@dataclass(frozen=True, slots=True)
class Cause:
    evidence: tuple[EvidenceItem, ...] = ()
    fingerprint: str | None = None
    templates: tuple[str, ...] = ()
    classified: Classified | None = None
    """The cause class this evidence shows (None: not gathered)."""


def registered_gatherers(settings: Settings) -> Mapping[str, Sequence[Gatherer]]:
    """The gatherers of each check from the registry, from the configuration alone (a daemon
    passes its own, which also see its running checks and the deaths they saw)."""
    return gatherers_for(settings)


class Causes:
    def __init__(self, settings: Settings, store: Store, gatherers: Mapping[str, Sequence[Gatherer]]) -> None:
        self.config = settings.evidence
        self.store = store
        self.collector = Collector(self.config, gatherers, Scrubber.from_settings(settings))
        self.patterns = compile_patterns(self.config.causes)
        self.started_at = time.time()
        self._tasks: OrderedDict[int, asyncio.Task[Cause]] = OrderedDict()

    @classmethod
    def from_settings(
        cls, settings: Settings, store: Store, gatherers_for: GatherersFor = registered_gatherers
    ) -> Causes:
        gatherers = gatherers_for(settings) if settings.evidence.enabled else {}
        return cls(settings, store, gatherers)

    def start(
        self, incident: ActiveIncident, check: str, facts: Callable[[], Mapping[str, object]] | None = None
    ) -> None:
        """Gather the evidence of a new incident (once; an older one's is read back). `facts`:
        what the check last observed of the target (asked only when gathering starts); the
        symptom's fields by default."""
        if incident.id in self._tasks or not self.config.enabled:
            return
        if incident.opened_at < self.started_at:
            work = self._stored(incident)
        else:
            observed = {**(facts() if facts is not None else {}), **incident.symptom.fields}
            work = self._guarded(incident, check, observed)
        self._tasks[incident.id] = asyncio.create_task(work)
        while len(self._tasks) > KEPT:
            _, oldest = self._tasks.popitem(last=False)
            oldest.cancel()

    def known(self, incident_id: int) -> Cause:
        """The cause as far as it is known now (empty while it is being gathered)."""
        task = self._tasks.get(incident_id)
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return Cause()
        return task.result()

    def pending(self, incident_id: int) -> bool:
        task = self._tasks.get(incident_id)
        return task is not None and not task.done()

    def depends_on_cause(self, signature: str, candidates: Sequence[Candidate]) -> bool:
        """Whether the cause may change the choice: several candidates, a candidate that
        declares the causes it treats, or knowledge of this signature split across causes."""
        if len(candidates) > 1 or any(c.treats for c in candidates):
            return True
        try:
            return len([fp for fp in self.store.cause_rates(signature) if fp is not None]) > 1
        except StoreError:
            return False

    async def wait(self, incident_id: int, timeout: float | None = None) -> Cause:
        """The cause, waited for at most `timeout` (default `evidence.wait`): what is known
        then, maybe nothing."""
        task = self._tasks.get(incident_id)
        if task is not None and not task.done():
            await asyncio.wait([task], timeout=self.config.wait if timeout is None else timeout)
        return self.known(incident_id)

    def forget(self, incident_id: int) -> None:
        """The incident resolved: its cause leaves memory once gathered (it is still stored:
        the quickest heals are the ones whose evidence must not be lost)."""
        task = self._tasks.get(incident_id)
        if task is None:
            return
        if task.done():
            del self._tasks[incident_id]
        else:
            task.add_done_callback(lambda _: self._tasks.pop(incident_id, None))

    async def drain(self, timeout: float) -> None:
        """Shutdown or a reload's retirement: gathering in flight gets `timeout` to finish and be
        stored (it is bounded by `evidence.deadline` anyway), then is abandoned (its threads end
        on their own)."""
        running = [task for task in self._tasks.values() if not task.done()]
        if running:
            _, pending = await asyncio.wait(running, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _guarded(self, incident: ActiveIncident, check: str, facts: dict[str, object]) -> Cause:
        """A bug in gathering costs this incident its cause, never the loop."""
        try:
            return await self._gathered(incident, check, facts)
        except Exception:
            event = {"event": "evidence_failed", "incident": incident.id}
            log.exception("gathering evidence failed", extra={"event": event})
            return Cause()

    async def _gathered(self, incident: ActiveIncident, check: str, facts: dict[str, object]) -> Cause:
        sym = incident.symptom
        request = self.collector.request(incident.id, check, sym.target, incident.opened_at, facts)
        items = await self.collector.collect(request)
        found, templates = fingerprint(sym.signature, items)
        classified = classify(items, sym.fields, self.patterns)
        cause = Cause(items, found.value if found else None, found.templates if found else (), classified)
        try:
            self.store.add_evidence(incident.id, items, templates, cause.fingerprint, cause.templates)
        except StoreError as exc:  # refused for what it is: healing goes on with it in memory
            log.error(
                "evidence not stored",
                extra={"event": {"event": "evidence_unstored", "incident": incident.id, "error": str(exc)}},
            )
        log.info(
            "evidence gathered",
            extra={
                "event": {
                    "event": "evidence",
                    "incident": incident.id,
                    "items": len(items),
                    "fingerprint": cause.fingerprint,
                    "cause_class": classified.cause,
                }
            },
        )
        return cause

    async def _stored(self, incident: ActiveIncident) -> Cause:
        try:
            known = self.store.cause_of(incident.id)
        except StoreError:
            return Cause()
        items = tuple(EvidenceItem(e["kind"], e["source"], e["text"], e["at"]) for e in known["evidence"])
        classified = classify(items, incident.symptom.fields, self.patterns)
        return Cause(items, known["fingerprint"], tuple(known["templates"]), classified)

"""The healer's causes: gathered once per new incident and stored; an incident opened before the
daemon started (a restart, a reload) gets its stored cause back and is not gathered again; a
gathering that fails to store leaves the cause in memory; with evidence off nothing runs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from mapekd.analyze.incidents import ActiveIncident
from mapekd.config.settings import Settings
from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.causes import Causes
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom


@dataclass
class Counting:
    kind: EvidenceKind = "log"
    asked: list[EvidenceRequest] = field(default_factory=list)

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        self.asked.append(request)
        return [EvidenceItem("log", "app.log", "FATAL connection refused to 10.0.0.5:5432")]


def settings(**evidence: object) -> Settings:
    return Settings.model_validate({"evidence": evidence})


def incident(store: SqliteStore, opened_at: float) -> ActiveIncident:
    symptom = Symptom("app_down", "process:app", "critical", "down", {"alive": False}, ts=opened_at)
    return ActiveIncident(store.open_incident(symptom), "open", symptom, opened_at)


def test_a_new_incident_is_gathered_once_and_stored(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    gatherer = Counting()

    async def scenario() -> tuple[str | None, str | None]:
        causes = Causes(settings(), store, {"app": [gatherer]})
        new = incident(store, time.time() + 1)
        causes.start(new, "app")
        causes.start(new, "app")  # the next cycle: already under way
        cause = await causes.wait(new.id, 10)
        return cause.fingerprint, store.cause_of(new.id)["fingerprint"]

    in_memory, stored = asyncio.run(scenario())
    assert len(gatherer.asked) == 1 and gatherer.asked[0].facts == {"alive": False}
    assert in_memory is not None and stored == in_memory
    store.close()


def test_an_incident_older_than_the_daemon_gets_its_stored_cause_back(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    gatherer = Counting()

    async def scenario() -> tuple[str | None, str | None, int]:
        first = Causes(settings(), store, {"app": [gatherer]})
        old = incident(store, time.time() + 1)
        first.start(old, "app")
        before = await first.wait(old.id, 10)
        await asyncio.sleep(1.1)  # the daemon restarts after the incident opened
        again = Causes(settings(), store, {"app": [gatherer]})
        again.start(old, "app")
        after = await again.wait(old.id, 10)
        return before.fingerprint, after.fingerprint, len(after.evidence)

    before, after, items = asyncio.run(scenario())
    assert before is not None and after == before and items == 1
    assert len(gatherer.asked) == 1
    store.close()


def test_evidence_off_gathers_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    gatherer = Counting()

    async def scenario() -> bool:
        causes = Causes.from_settings(settings(enabled=False), store, lambda s: {"app": [gatherer]})
        new = incident(store, time.time() + 1)
        causes.start(new, "app")
        return causes.pending(new.id)

    assert asyncio.run(scenario()) is False and gatherer.asked == []
    store.close()

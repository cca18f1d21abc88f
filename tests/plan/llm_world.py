"""The LLM planner as the daemon builds it (Reasoning over a real SQLite file) with an offline
provider scripted by the test: its prepared answers, and for rank() its scores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mapekd.config.loader import load_settings
from mapekd.evidence.base import EvidenceItem
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.plan.llm_plan import LLMPlanner
from mapekd.plan.proposal import Candidate
from mapekd.reasoning import Reasoning
from mapekd.situation import Situation
from tests.plan.loop import base_config

HANG = (
    EvidenceItem("log", "/var/log/web.log", "worker 3 stalled: no progress for 30 s", 90.0),
    EvidenceItem("log", "/var/log/web.log", "request timed out after 30000 ms", 95.0),
)
DB_DOWN = (EvidenceItem("log", "/var/log/web.log", "connection refused to 127.0.0.1:5432", 95.0),)


@dataclass
class World:
    planner: LLMPlanner
    store: SqliteStore

    def open(self, evidence: tuple[EvidenceItem, ...], fingerprint: str | None) -> Situation:
        """A new incident (the one open before it resolved), with this evidence and fingerprint."""
        symptom = Symptom("svc_down", "process:svc", "critical", "svc is not answering", {}, ts=100.0)
        for row in self.store.active_incidents():
            self.store.resolve_incident(row["id"])
        incident = self.store.open_incident(symptom)
        return Situation(
            incident, symptom.signature, "svc_down", "svc", "process:svc", "critical", symptom.message,
            {"alive": True}, 100.0, [], evidence=evidence, fingerprint=fingerprint,
        )  # fmt: skip

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return self.store._rows(sql)


def candidate(name: str, record: tuple[int, int] = (0, 0), cause: tuple[int, int] = (0, 0)) -> Candidate:
    return Candidate(name, "command", f"{name} the service", "low", True, *record, *cause)


@asynccontextmanager
async def llm_world(tmp: Path, answers: list[dict[str, Any]], **plan: Any) -> AsyncIterator[World]:
    (tmp / "answers.yaml").write_text(yaml.safe_dump(answers))
    provider = {"name": "local", "type": "offline", "answers_path": str(tmp / "answers.yaml"), "model": "m"}
    llm = {"providers": [provider], "cache": {"exact": {"enabled": False}}}
    config = base_config(tmp, llm, **plan)
    (tmp / "mapekd.yaml").write_text(yaml.safe_dump(config))
    settings = load_settings(tmp / "mapekd.yaml", {})
    store = SqliteStore(settings.knowledge.path)
    reasoning = Reasoning.build(settings, store)
    assert reasoning.planner is not None
    try:
        yield World(reasoning.planner, store)
    finally:
        await reasoning.close()
        store.close()

"""A realistic world for prompt tests: a real knowledge base file with a history of incidents,
decisions, executions and outcomes, a real snapshot of this machine, and the situation of an
open incident (a web process that died)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mapekd.evidence.base import EvidenceItem
from mapekd.knowledge.runbooks import load_runbooks
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Sample, Symptom
from mapekd.prompting import CandidateView, HostSnapshot, Prompts, snapshot_host
from mapekd.situation import Situation
from tests.knowledge.history import NOW, fill_history

DATA_SECTION = re.compile(r"<data>\n(.*?)\n</data>", re.S)


@dataclass
class World:
    store: SqliteStore
    situation: Situation
    candidates: list[CandidateView]


def web_samples(opened: float) -> list[Sample]:
    alive = [
        Sample(
            "web",
            "process:web",
            {
                "ok": True,
                "error": None,
                "alive": True,
                "state": "running",
                "pid": 4242,
                "count": 1,
                "cpu_percent": 3.25 + i,
                "rss_bytes": 48_000_000 + i * 1_000_000,
                "open_fds": 31,
                "threads": 4,
                "uptime_s": 3600.0 + 10 * i,
            },
            ts=opened - 10 * (12 - i),
        )
        for i in range(12)
    ]
    dead = [
        Sample(
            "web",
            "process:web",
            {
                "ok": False,
                "error": None,
                "alive": False,
                "state": "dead",
                "pid": None,
                "count": 0,
                "detail": "exited with status 1",
            },
            ts=opened + 10 * i,
        )
        for i in range(3)
    ]
    return alive + dead


WEB_EVIDENCE = (
    EvidenceItem("log", "/var/log/web/error.log", "worker 3 stalled: no progress for 30 s", NOW - 40),
    EvidenceItem("log", "/var/log/web/error.log", "connection refused to 127.0.0.1:5432", NOW - 5),
    EvidenceItem("exit", "process:web", "exited with status 1", NOW),
)
WEB_FINGERPRINT = "web_down@process:web|connection refused to <ip>:<num>"


@pytest.fixture
def prompts() -> Prompts:
    return Prompts()


@pytest.fixture(scope="session")
def host() -> HostSnapshot:
    return snapshot_host(top=5)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = SqliteStore(tmp_path / "kb.db")
    load_runbooks(store)
    fill_history(store)
    symptom = Symptom(
        "web_down", "process:web", "critical", "process web is not running", {"alive": False}, ts=NOW
    )
    incident = store.open_incident(symptom)
    store.add_symptom(incident, symptom)
    situation = Situation(
        incident_id=incident,
        signature=symptom.signature,
        rule="web_down",
        check="web",
        target="process:web",
        severity="critical",
        symptom=symptom.message,
        fields={"alive": False, "state": "dead", "detail": "exited with status 1"},
        opened_at=NOW,
        samples=web_samples(NOW),
        evidence=WEB_EVIDENCE,
        fingerprint=WEB_FINGERPRINT,
    )
    rates = store.success_rates(symptom.signature)
    candidates = [
        CandidateView(
            "restart_web",
            "systemd",
            "systemctl restart web.service",
            "process:web",
            "low",
            *rates.get("restart_web", (0, 0)),
            cause_successes=1,
            cause_tries=1,
        ),
        CandidateView(
            "kill_web",
            "signal",
            "send SIGKILL to the processes of check web",
            "process:web",
            "medium",
            *rates.get("kill_web", (0, 0)),
        ),
    ]
    yield World(store, situation, candidates)
    store.close()


def data_sections(text: str) -> list[str]:
    return DATA_SECTION.findall(text)


def sections(text: str) -> dict[str, list[Any]]:
    """`## Heading (notes)` -> the JSON values of the data section under it (empty when none)."""
    found = {}
    for chunk in ("\n" + text).split("\n## ")[1:]:
        heading, _, body = chunk.partition("\n")
        values = [json.loads(line) for section in DATA_SECTION.findall(body) for line in section.splitlines()]
        found[heading.split(" (")[0]] = values
    return found


def outside_data(text: str) -> str:
    return DATA_SECTION.sub("<data/>", text)

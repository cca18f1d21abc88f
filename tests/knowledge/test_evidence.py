"""Evidence in the knowledge base: stored per incident with its templates and the incident's
cause fingerprint, held in memory while the base is locked, success rates per (signature,
fingerprint, action), recall by evidence (FTS5 bm25), and retention deleting it with its incident.
A real SQLite file throughout."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapekd.evidence.base import EvidenceItem, EvidenceKind
from mapekd.evidence.fingerprint import fingerprint
from mapekd.knowledge.retention import prune
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.plan.candidates import signature_rates
from tests.knowledge.history import DAY, NOW, record_incident

SIG = "web_down@process:web"
Line = tuple[EvidenceKind, str]
REFUSED: Line = ("log", "2026-12-06T05:40:41Z FATAL could not connect: connection refused 10.0.0.5:5432")
HUNG: Line = ("log", "2026-12-06T05:40:41Z worker 3 blocked for 30 s on lock queue")
OOM: Line = ("kernel", "Out of memory: Killed process 4242 (web) total-vm:512000kB")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    kb = SqliteStore(tmp_path / "kb.db")
    yield kb
    kb.close()


def with_evidence(store: SqliteStore, incident: int, *lines: Line, signature: str = SIG) -> str:
    items = [EvidenceItem(kind, "web.log", text, NOW) for kind, text in lines]
    found, templates = fingerprint(signature, items)
    assert found is not None
    store.add_evidence(incident, items, templates, found.value, found.templates)
    return found.value


def past(store: SqliteStore, attempts: list[tuple[str, str, str]], *lines: Line, days: float) -> int:
    incident = record_incident(store, "web_down", "process:web", NOW - days * DAY, attempts)
    with_evidence(store, incident, *lines)
    return incident


def test_evidence_is_stored_with_templates_and_the_incident_keeps_its_fingerprint(store: SqliteStore) -> None:
    incident = store.open_incident(Symptom("web_down", "process:web", "critical", "down", {}, ts=NOW))
    value = with_evidence(store, incident, ("log", "starting"), REFUSED)
    rows = store.evidence(incident)
    assert [(r["kind"], r["text"]) for r in rows] == [("log", "starting"), REFUSED]
    assert rows[1]["template"] == "<time> FATAL could not connect: connection refused <ip>:<port>"
    row = store.incident(incident)
    assert row is not None and row["fingerprint"] == value
    assert row["cause_templates"] == '["<time> FATAL could not connect: connection refused <ip>:<port>"]'


def test_evidence_written_while_the_base_is_locked_is_held_and_caught_up(tmp_path: Path) -> None:
    kb = SqliteStore(tmp_path / "kb.db")
    kb.wait_at_most(0.1)
    incident = kb.open_incident(Symptom("web_down", "process:web", "critical", "down", {}, ts=NOW))
    other = sqlite3.connect(str(tmp_path / "kb.db"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    value = with_evidence(kb, incident, REFUSED)
    assert kb.degraded is not None and kb.journal_pending == 1
    other.rollback()
    other.close()
    assert kb.catch_up() == 1
    assert [r["text"] for r in kb.evidence(incident)] == [REFUSED[1]]
    assert (kb.incident(incident) or {})["fingerprint"] == value
    kb.close()


def test_success_rates_per_cause_and_per_signature(store: SqliteStore) -> None:
    refused = past(
        store,
        [("restart_web", "succeeded", "not_resolved"), ("start_db", "succeeded", "resolved")],
        REFUSED,
        days=3,
    )
    past(store, [("start_db", "succeeded", "resolved")], REFUSED, days=2)
    past(store, [("kill_web", "succeeded", "resolved")], HUNG, days=1)
    record_incident(
        store, "web_down", "process:web", NOW, [("restart_web", "succeeded", "resolved")]
    )  # no evidence
    by_cause = store.cause_rates(SIG)
    refused_fp = (store.incident(refused) or {})["fingerprint"]
    assert len(by_cause) == 3 and by_cause[None] == {"restart_web": (1, 1)}  # the cause unknown
    assert by_cause[refused_fp] == {"restart_web": (0, 1), "start_db": (2, 2)}
    assert signature_rates(by_cause) == store.success_rates(SIG)
    assert store.success_rates(SIG) == {"restart_web": (1, 2), "start_db": (2, 2), "kill_web": (1, 1)}


def test_recall_by_evidence_finds_incidents_whose_logs_read_alike(store: SqliteStore) -> None:
    refused = past(
        store,
        [("restart_web", "succeeded", "not_resolved"), ("start_db", "succeeded", "resolved")],
        REFUSED,
        days=3,
    )
    hung = past(store, [("kill_web", "succeeded", "resolved")], HUNG, days=2)
    oom = past(store, [("restart_web", "failed", "failed")], OOM, days=1)
    found = store.similar_by_evidence(["<time> FATAL could not connect: connection refused <ip>:<port>"])
    assert [f["incident"] for f in found][:1] == [refused]
    assert found[0] | {"fingerprint": None} == {
        "incident": refused,
        "signature": SIG,
        "fingerprint": None,
        "action": "start_db",
        "resolved": True,
        "matched": REFUSED[1],
    }
    assert store.similar_by_evidence(["Out of memory: Killed process <num>"])[0] | {"fingerprint": None} == {
        "incident": oom,
        "signature": SIG,
        "fingerprint": None,
        "action": "restart_web",
        "resolved": False,
        "matched": OOM[1],
    }
    assert [f["incident"] for f in store.similar_by_evidence(["worker blocked on lock"], exclude=hung)] == []
    assert store.similar_by_evidence(['" NEAR * -']) == []  # query syntax is searched as text


def test_retention_deletes_an_incidents_evidence_with_it(tmp_path: Path) -> None:
    kb = SqliteStore(tmp_path / "kb.db")
    old = past(kb, [("start_db", "succeeded", "resolved")], REFUSED, days=30)
    deleted = prune(kb.conn, NOW - 10 * DAY)
    assert deleted["evidence"] == 1 and kb.evidence(old) == []
    assert kb.similar_by_evidence(["connection refused"]) == []
    kb.close()

"""Approvals in a real SQLite file: pending until decided; a denial and an expiry are final."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mapekd.errors import ApprovalError
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom


def pending(store: SqliteStore, ttl: float = 60.0) -> int:
    incident = store.open_incident(Symptom("r", "process:web", "critical", "down", {}))
    decision = store.record_decision(
        {
            "incident_id": incident,
            "ts": time.time(),
            "verdict": "pending_approval",
            "action": "restart",
            "target": "process:web",
            "source": "llm",
        }
    )
    return store.request_approval(decision, incident, "restart", "process:web", ttl)


def test_approve_then_run_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    approval = pending(store)
    assert [r["id"] for r in store.pending_approvals()] == [approval]
    assert store.decide_approval(approval, True, "alice") == "approved"
    assert [r["id"] for r in store.due_approvals()] == [approval]
    with pytest.raises(ApprovalError, match="approved"):
        store.decide_approval(approval, False, "bob")  # decided already


def test_a_denial_is_final(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    approval = pending(store)
    assert store.decide_approval(approval, False, "alice") == "denied"
    with pytest.raises(ApprovalError, match="denied"):
        store.decide_approval(approval, True, "mallory")
    assert store.due_approvals() == [] and store.pending_approvals() == []


def test_nothing_is_approved_after_expiry(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    approval = pending(store, ttl=0.05)
    time.sleep(0.1)
    assert store.pending_approvals() == []
    with pytest.raises(ApprovalError, match="expired"):
        store.decide_approval(approval, True, "alice")
    assert [r["id"] for r in store.expire_approvals(time.time())] == [approval]
    assert store.due_approvals() == []
    with pytest.raises(ApprovalError, match="no approval"):
        store.decide_approval(999, True, "alice")

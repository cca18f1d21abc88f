"""Approvals in a real SQLite file: pending until decided; a denial and an expiry are final."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mapekd.errors import ApprovalError
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom


def pending(store: SqliteStore, ttl: float = 60.0, **deferral: float) -> int:
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
    return store.request_approval(decision, incident, "restart", "process:web", ttl, **deferral)


def test_approve_then_run_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    approval = pending(store)
    assert [r["id"] for r in store.pending_approvals()] == [approval]
    assert store.decide_approval(approval, True, "alice") == "approved"
    assert [r["id"] for r in store.due_approvals(time.time())] == [approval]
    with pytest.raises(ApprovalError, match="approved"):
        store.decide_approval(approval, False, "bob")  # decided already


def test_a_denial_is_final(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    approval = pending(store)
    assert store.decide_approval(approval, False, "alice") == "denied"
    with pytest.raises(ApprovalError, match="denied"):
        store.decide_approval(approval, True, "mallory")
    assert store.due_approvals(time.time()) == [] and store.pending_approvals() == []


def test_nothing_is_approved_after_expiry(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    approval = pending(store, ttl=0.05)
    time.sleep(0.1)
    assert store.pending_approvals() == []
    with pytest.raises(ApprovalError, match="expired"):
        store.decide_approval(approval, True, "alice")
    assert [r["id"] for r in store.expire_approvals(time.time())] == [approval]
    assert store.due_approvals(time.time()) == []
    with pytest.raises(ApprovalError, match="no approval"):
        store.decide_approval(999, True, "alice")


def test_an_approval_is_claimed_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    approval = pending(store)
    now = time.time()
    assert not store.claim_approval(approval, now), "a pending approval cannot be claimed"
    store.decide_approval(approval, True, "alice")
    assert store.claim_approval(approval, now)
    assert not store.claim_approval(approval, now), "claimed twice"
    assert store.due_approvals(now) == []
    assert store.approval(approval)["state"] == "executed"  # type: ignore[index]


def test_an_approved_approval_that_never_ran_expires(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    approval = pending(store, ttl=0.05)
    store.decide_approval(approval, True, "alice")
    later = time.time() + 1
    assert store.due_approvals(later) == []
    assert not store.claim_approval(approval, later)
    assert [r["id"] for r in store.expire_approvals(later)] == [approval]
    assert store.approval(approval)["state"] == "expired"  # type: ignore[index]


def test_a_deferral_runs_once_its_window_opens_and_not_after_it_closes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    opens = time.time() + 100
    approval = pending(store, not_before=opens, expires_at=opens + 50)
    assert store.due_approvals(opens - 1) == []
    assert not store.claim_approval(approval, opens - 1)
    assert [r["id"] for r in store.due_approvals(opens + 1)] == [approval]
    assert store.due_approvals(opens + 51) == []
    assert store.claim_approval(approval, opens + 1)
    assert not store.claim_approval(approval, opens + 2)

"""The recorded analysis a new incident of a known cause reuses: the latest grounded, valid
analysis asked of the model (not itself a reuse) for the same cause fingerprint, recorded
since `since`. Read through the store's connection (the seam keeps it for SQL readers); an
unreadable base only means the model is asked, so errors read as "none"."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from mapekd.knowledge.base import Store

log = logging.getLogger("mapekd.decision")

_LATEST = (
    "SELECT id, incident_id, state, summary, suspected_cause, confidence, parsed, prompt_template, "
    "prompt_version, model, grounded, unsupported, fingerprint FROM analyses "
    "WHERE fingerprint = ? AND ts >= ? AND grounded = 1 AND state = 'ok' AND reused_from IS NULL "
    "ORDER BY ts DESC, id DESC LIMIT 1"
)


_ASKED = (
    "SELECT id, state, grounded FROM analyses WHERE fingerprint = ? AND ts >= ? "
    "AND reused_from IS NULL ORDER BY ts DESC, id DESC LIMIT 1"
)
"""The latest analysis asked of the model for a cause, whatever became of it."""


def grounded_analysis(store: Store, fingerprint: str, since: float) -> dict[str, Any] | None:
    return _one(store, _LATEST, fingerprint, since)


def asked_before(store: Store, fingerprint: str, since: float) -> dict[str, Any] | None:
    """The model's latest analysis of this cause (invalid or ungrounded included): asking again
    for the same evidence would cost the host another inference for the same answer."""
    return _one(store, _ASKED, fingerprint, since)


def _one(store: Store, sql: str, fingerprint: str, since: float) -> dict[str, Any] | None:
    try:
        cursor = store.conn.execute(sql, (fingerprint, since))
        row = cursor.fetchone()
        names = [d[0] for d in cursor.description]
    except sqlite3.Error as exc:
        log.warning("cannot read earlier analyses: %s", exc)
        return None
    return dict(zip(names, row, strict=True)) if row is not None else None

"""Past incidents whose evidence reads like this one's, for the prompts: "the last incidents
whose log said `connection refused ... :5432` were fixed by start_db". Ranked by FTS5 bm25 over
the stored evidence (knowledge/recall.py), whatever their signature."""

from __future__ import annotations

import logging
from typing import Any

from mapekd.errors import StoreError
from mapekd.evidence.fingerprint import template
from mapekd.knowledge.base import Store
from mapekd.situation import Situation

log = logging.getLogger("mapekd.decision")
ALIKE_LINES = 20
"""The incident's newest evidence lines the search is built from."""
ALIKE_LIMIT = 3


def evidence_alike(store: Store, situation: Situation) -> list[dict[str, Any]]:
    """Best match first; nothing without evidence, or when the base cannot be read now (a prompt
    without them is still worth sending)."""
    # Searched by the lines' templates: times, addresses and numbers would match anything.
    lines = sorted({template(item.text, item.kind) for item in situation.evidence[-ALIKE_LINES:]})
    if not lines:
        return []
    try:
        return store.similar_by_evidence(lines, exclude=situation.incident_id, limit=ALIKE_LIMIT)
    except StoreError as exc:
        log.warning(
            "no recall by evidence: the knowledge base cannot be read",
            extra={"event": {"event": "knowledge_unreadable", "error": str(exc)}},
        )
        return []

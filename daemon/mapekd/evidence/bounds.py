"""The bounds every gatherer keeps: at most `max_items` items and `max_bytes` of text, newest kept."""

from __future__ import annotations

from collections.abc import Sequence

from mapekd.evidence.base import EvidenceItem, EvidenceRequest


def keep_newest(items: Sequence[EvidenceItem], request: EvidenceRequest) -> list[EvidenceItem]:
    """The last items of `items` (oldest first) that fit the request's item and byte bounds."""
    kept: list[EvidenceItem] = []
    room = request.max_bytes
    for item in reversed(items):
        size = len(item.text.encode("utf-8", "replace"))
        if len(kept) >= request.max_items or size > room:
            break
        kept.append(item)
        room -= size
    kept.reverse()
    return kept

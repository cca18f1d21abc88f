"""The incident's evidence as the prompts show it: one item per line, each with a short id
(`e1`, `e2`... in the order gathered) that an answer cites and grounding checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mapekd.evidence.base import EvidenceItem
from mapekd.prompting.data import clip, number

MAX_SHOWN = 24
"""At most this many items (the latest) reach a prompt; fitting may drop more, oldest first."""
TEXT_CHARS = 240
SOURCE_CHARS = 80


def evidence_ids(items: Sequence[EvidenceItem]) -> list[str]:
    return [f"e{i}" for i in range(1, len(items) + 1)]


def evidence_view(items: Sequence[EvidenceItem], opened_at: float) -> list[dict[str, Any]]:
    """`t`: seconds since the incident opened (negative before), when the source tells it."""
    views = []
    for ident, item in list(zip(evidence_ids(items), items, strict=True))[-MAX_SHOWN:]:
        view: dict[str, Any] = {"id": ident, "kind": item.kind, "source": clip(item.source, SOURCE_CHARS)}
        if item.at is not None:
            view["t"] = number(round(item.at - opened_at, 1))
        view["text"] = clip(item.text, TEXT_CHARS)
        views.append(view)
    return views

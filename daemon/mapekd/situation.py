"""What the daemon knows of one incident when it decides: the input of the prompts and of the
rule and knowledge sources. Plain data, so that the loop can build it without loading the
prompting side (Jinja2, the LLM gateway) on a host where no model is used."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mapekd.evidence.base import EvidenceItem
from mapekd.model import Sample


@dataclass(frozen=True, slots=True)
class Situation:
    incident_id: int
    signature: str
    rule: str
    check: str
    target: str
    severity: str
    symptom: str
    fields: dict[str, Any]
    opened_at: float
    samples: list[Sample]
    """The recent history of this check and target, oldest first."""
    trend: dict[str, Any] | None = None
    """For trend rules: {field, threshold, slope_per_s, eta_s}."""
    watched: frozenset[int] = frozenset()
    """The pids the process checks watch now: only their command lines reach a prompt."""
    evidence: tuple[EvidenceItem, ...] = ()
    """What the host told about this incident when it opened (redacted), oldest first."""
    fingerprint: str | None = None
    """The cause fingerprint of that evidence (None: no evidence, or not yet gathered)."""
    cause_class: str | None = None
    """The cause class read from that evidence (evidence/classify.py; None: not yet gathered)."""
    cause_cited: tuple[int, ...] = ()
    """Indexes into `evidence` of the items that show the cause class."""


def watched_pids(samples: Iterable[Sample]) -> frozenset[int]:
    """The pids the process checks matched, from their samples (`process:` targets, `pid`)."""
    return frozenset(
        pid
        for s in samples
        if s.target.startswith("process:")
        and isinstance(pid := s.fields.get("pid"), int)
        and not isinstance(pid, bool)
        and pid > 0
    )

"""The Gatherer seam: what the host can tell about one incident when it opens.

A gatherer reads one kind of evidence for one check (a unit's journal and systemd's verdict, the
tail of the check's log files, how its process ended, an HTTP body excerpt, the series that
crossed a threshold). Gatherers are plain blocking code: the collector runs them in a worker
thread, bounded in time and bytes, and redacts what they return before it is stored or shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

EvidenceKind = Literal["journal", "verdict", "exit", "kernel", "log", "http", "series"]


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One observation: a log line, a verdict, an exit status, a body excerpt, a series."""

    kind: EvidenceKind
    source: str
    """Where it was read: the unit, the log file, the URL, the PromQL query."""
    text: str
    """One line of text as read (the collector caps and redacts it)."""
    at: float | None = None
    """Wall-clock time of the observation, when the source tells it."""


@dataclass(frozen=True, slots=True)
class EvidenceRequest:
    """The incident a gatherer reads for, and its bounds."""

    incident_id: int
    check: str
    target: str
    opened_at: float
    since: float
    """Read nothing older than this (shortly before the incident opened)."""
    deadline_s: float
    max_items: int
    max_bytes: int
    facts: dict[str, object] = field(default_factory=dict)
    """What the check last observed about the target (its latest sample's fields)."""


class Gatherer(Protocol):
    """Reads one kind of evidence for one check; blocking, called from a worker thread."""

    kind: EvidenceKind

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]: ...

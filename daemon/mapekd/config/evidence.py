"""The `evidence:` section: how much the daemon reads about an incident when it opens."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from mapekd.config.base import StrictModel
from mapekd.config.durations import Duration
from mapekd.evidence.classify import CauseClass


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from exc
    return pattern


CausePattern = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(_regex)]
CausePatterns = Annotated[list[CausePattern], Field(max_length=50)]


class EvidenceConfig(StrictModel):
    enabled: bool = True
    lead: Duration = 120.0
    """Read log lines from this long before the incident opened."""
    deadline: Duration = Field(default=2.0, gt=0)
    """All gatherers of one incident together stop after this long; what they read so far stays."""
    wait: Duration = Field(default=1.0, ge=0)
    """How long a decision that depends on the cause waits for the evidence (0: never waits)."""
    max_items: int = Field(default=200, ge=1, le=10_000)
    """Items kept per incident (newest kept when a source says more)."""
    max_bytes: int = Field(default=65_536, ge=1024, le=4 * 1024 * 1024)
    """Bytes kept per incident, all items together."""
    max_line: int = Field(default=2048, ge=80, le=65_536)
    """A longer line is cut to this many characters."""
    journal_directory: str | None = None
    """Read the systemd journal from this directory (`journalctl --directory`) instead of the
    system's own; for hosts that ship journals elsewhere."""
    causes: dict[CauseClass, CausePatterns] = Field(default_factory=dict)
    """More evidence lines that show a cause class: {class: [regex, ...]} (case-insensitive,
    searched in each line), tried with the shipped table (see evidence/classify.py)."""

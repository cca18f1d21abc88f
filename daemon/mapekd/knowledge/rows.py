"""Typed rows crossing the Store seam: what callers read by attribute, checked by mypy, instead
of dict keys that fail only at run time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    signature: str
    rule: str
    target: str
    severity: str
    status: str
    """open, gave_up or resolved."""
    summary: str
    opened_at: float
    updated_at: float
    gave_up_at: float | None
    resolved_at: float | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> IncidentRow:
        """From a row of `incidents` (extra columns, e.g. counts joined in, are ignored)."""
        return cls(**{f.name: row[f.name] for f in fields(cls)})

    @property
    def active(self) -> bool:
        """Active until its rule clears (a given-up incident is still active)."""
        return self.resolved_at is None

"""The Action seam: an allowlisted action runs on one target with validated parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

ExecState = Literal["succeeded", "failed", "timeout"]


@dataclass(frozen=True)
class ActionRequest:
    incident_id: int
    signature: str
    target: str
    params: dict[str, str] = field(default_factory=dict)
    """Placeholder values, each already validated (see execute.params)."""


@dataclass(frozen=True)
class ExecResult:
    state: ExecState
    duration_ms: float
    exit_code: int | None = None
    output_tail: str = ""
    error: str | None = None


class Action(Protocol):
    name: str

    def applies_to(self, target: str) -> bool:
        """Whether this action may act on `target` at all (its allowlist)."""
        ...

    def effect_of(self, target: str) -> str:
        """What running this action for `target` acts on, as policy counts it (plan/ledger.py):
        two targets with the same effect are one thing acted on twice."""
        ...

    async def run(self, request: ActionRequest) -> ExecResult: ...

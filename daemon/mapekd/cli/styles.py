"""Colours of the words the tables show: states, verdicts, severities, success rates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_STATUS = {"open": "bold red", "gave_up": "bold magenta", "resolved": "green"}
_SEVERITY = {"critical": "red", "warning": "yellow", "info": "dim"}
_VERDICT = {
    "execute": "green",
    "would_execute": "cyan",
    "pending_approval": "yellow",
    "no_action": "dim",
    "refused": "red",
    "gave_up": "red",
    "escalate": "red",
}
_STATE = {
    "succeeded": "green",
    "resolved": "green",
    "ok": "green",
    "approved": "green",
    "executed": "green",
    "closed": "green",
    "would_execute": "cyan",
    "pending": "yellow",
    "half_open": "yellow",
    "not_resolved": "yellow",
    "relapsed": "yellow",
    "started": "yellow",
    "failed": "red",
    "timeout": "red",
    "interrupted": "red",
    "denied": "red",
    "expired": "dim",
    "open": "red",
    "FAIL": "bold red",
    "OK": "green",
}


def _rate(value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    return "green" if value >= 0.8 else "yellow" if value >= 0.5 else "red"


STYLES: dict[str, Callable[[Any], str]] = {
    "status": lambda v: _STATUS.get(str(v), ""),
    "severity": lambda v: _SEVERITY.get(str(v), ""),
    "verdict": lambda v: _VERDICT.get(str(v), ""),
    "state": lambda v: _STATE.get(str(v), ""),
    "result": lambda v: _STATE.get(str(v), ""),
    "breaker": lambda v: _STATE.get(str(v), ""),
    "success_rate": _rate,
    "id": lambda v: "bold",
}


def style_of(key: str, value: Any) -> str:
    style = STYLES.get(key)
    return style(value) if style is not None else ""

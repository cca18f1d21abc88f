"""Data flowing once around the loop: Sample -> Symptom -> Incident -> Decision -> Execution -> Outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

FieldValue = float | int | str | bool | None


@dataclass(frozen=True, slots=True)
class Sample:
    """One observation by one check of one target.

    `target` is the stable thing observed, e.g. `process:web`, `http:web_health`, `disk:/var`.
    Every sample carries `ok` (the check's own verdict) and `error` (why the check itself failed,
    None when it worked) in `fields`, so rules can refer to both.
    """

    check: str
    target: str
    fields: dict[str, FieldValue]
    ts: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return bool(self.fields.get("ok", False))

    @property
    def error(self) -> str | None:
        value = self.fields.get("error")
        return None if value is None else str(value)

    @classmethod
    def failed(cls, check: str, target: str, error: str) -> Sample:
        """The sample a check yields when it could not collect at all."""
        return cls(check=check, target=target, fields={"ok": False, "error": error})


Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True, slots=True)
class Symptom:
    """A rule that fired on one target."""

    rule: str
    target: str
    severity: Severity
    message: str
    fields: dict[str, FieldValue]
    ts: float = field(default_factory=time.time)

    @property
    def signature(self) -> str:
        return f"{self.rule}@{self.target}"

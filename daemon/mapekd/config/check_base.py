"""What every check's configuration has: its name, timeout, interval, service and log files."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mapekd.config.base import Name, StrictModel
from mapekd.config.durations import Duration


class CheckBase(StrictModel):
    name: Name
    timeout: Duration = 5.0
    """How long one collection may take before it yields an error sample."""
    interval: Annotated[Duration, Field(gt=0)] | None = None
    """How often this check is collected; default `daemon.interval`. Checks of one interval are
    collected together, and then only the rules on them are evaluated."""
    service: Name | None = None
    """The service this check watches: incidents of checks with one service name are one story
    (grouped, decided once)."""
    logs: list[str] = Field(default_factory=list, max_length=32)
    """Log files (paths or globs) whose tail is read as evidence when an incident opens."""
    depends_on: list[Name] = Field(default_factory=list, max_length=32)
    """Checks this one depends on (Monit's `depends on`): while one of them has an incident, an
    incident of this check is attributed to it and waits for its remedy; when that incident gives
    up, this one escalates with it. Names must exist; no cycles."""

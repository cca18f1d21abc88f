"""Logging: one JSON object per line (journald-friendly) or text for people.

Structured fields travel in `extra={"event": {...}}`; every healing decision is one such line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

_TEXT_KEYS = (
    "incident",
    "signature",
    "check",
    "verdict",
    "action",
    "target",
    "source",
    "dry_run",
    "outcome",
    "state",
    "reason",
    "symptom",
    "error",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        event = getattr(record, "event", None)
        if isinstance(event, dict):
            line.update(event)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        event = getattr(record, "event", None)
        details = ""
        if isinstance(event, dict):
            parts = [f"{k}={event[k]}" for k in _TEXT_KEYS if event.get(k) not in (None, "")]
            details = "  " + " ".join(parts) if parts else ""
        text = f"{ts} {record.levelname:<7} {record.getMessage()}{details}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def setup_logging(fmt: str, level: str, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    ours = logging.getLogger("mapekd")
    ours.handlers[:] = [handler]
    ours.setLevel(level)
    ours.propagate = False

"""Log lines: one JSON object per line with the event's fields; text for people."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from mapekd.logs import setup_logging


@pytest.fixture(autouse=True)
def _restore_loggers() -> Iterator[None]:
    """setup_logging configures process-wide loggers; give other tests theirs back."""
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in (logging.getLogger("mapekd"),)]
    yield
    for lg, handlers, level, propagate in saved:
        lg.handlers[:], lg.level, lg.propagate = handlers, level, propagate


def _emit(fmt: str) -> str:
    stream = io.StringIO()
    setup_logging(fmt, "INFO", stream)
    logging.getLogger("mapekd.decision").warning(
        "healing decision",
        extra={
            "event": {
                "event": "decision",
                "incident": 3,
                "signature": "down@process:web",
                "action": "restart",
                "dry_run": True,
                "outcome": None,
                "candidates": ["restart"],
            }
        },
    )
    return stream.getvalue()


def test_json_line_carries_the_decision() -> None:
    [line] = _emit("json").splitlines()
    record = json.loads(line)
    assert record["event"] == "decision" and record["incident"] == 3
    assert record["candidates"] == ["restart"] and record["outcome"] is None
    assert record["level"] == "warning" and record["ts"].endswith("+00:00")


def test_text_line_for_people() -> None:
    [line] = _emit("text").splitlines()
    assert "healing decision" in line and "signature=down@process:web" in line
    assert "action=restart" in line and "dry_run=True" in line

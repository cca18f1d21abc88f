"""The JSON-schema task both real-model tests use: choose a remediation action."""

from __future__ import annotations

from typing import Any

from mapekd.llm.types import ChatRequest, Message

SCHEMA = {"type": "object", "properties": {"action": {"enum": ["restart", "noop"]}}, "required": ["action"]}
ASK = ChatRequest(
    messages=(
        Message("system", "You decide remediation actions. Answer in JSON."),
        Message("user", "The web service is down. Choose an action."),
    ),
    max_tokens=40,
    json_schema=SCHEMA,
    seed=1,
)


def conforms(value: Any) -> bool:
    """SCHEMA checked by hand: an object whose required `action` is one of the enum."""
    return (
        isinstance(value, dict)
        and "action" in value
        and value["action"] in SCHEMA["properties"]["action"]["enum"]
    )

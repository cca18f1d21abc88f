"""Anthropic's Messages API as documented: POST /v1/messages (x-api-key, anthropic-version,
required max_tokens, system as a top-level field), SSE streams of named events (message_start,
content_block_start, ping, content_block_delta, content_block_stop, message_delta,
message_stop, error), error bodies `{"type": "error", "error": {"type", "message"}}` with
request-id headers, 529 overloaded_error, and GET /v1/models.
"""

from __future__ import annotations

import json
from typing import Any

from .script import Fault, Script, pieces
from .server import Reply, Request

MODEL = "claude-sonnet-4-5-20250929"


class FakeAnthropic:
    def __init__(self, key: str = "sk-ant-test") -> None:
        self.script = Script()
        self.key = key

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("x-api-key") != self.key:
            return _error(401, "authentication_error", "invalid x-api-key")
        if "anthropic-version" not in request.headers:
            return _error(400, "invalid_request_error", "anthropic-version header is required")
        if (request.method, request.path) == ("GET", "/v1/models"):
            return Reply.json(
                {
                    "data": [
                        {
                            "type": "model",
                            "id": MODEL,
                            "display_name": "Claude Sonnet 4.5",
                            "created_at": "2025-09-29T00:00:00Z",
                        }
                    ],
                    "has_more": False,
                    "first_id": MODEL,
                    "last_id": MODEL,
                }
            )
        if (request.method, request.path) != ("POST", "/v1/messages"):
            return _error(404, "not_found_error", "Not found")
        return self._messages(request.json())

    def _messages(self, body: dict[str, Any]) -> Reply:
        if "max_tokens" not in body:
            return _error(400, "invalid_request_error", "max_tokens: Field required")
        if any(m.get("role") not in ("user", "assistant") for m in body.get("messages", [])):
            return _error(400, "invalid_request_error", "messages: roles must be user/assistant")
        item = self.script.next()
        if isinstance(item, Fault) and item.kind != "cut":
            return _fault(item, streaming=bool(body.get("stream")))
        tool = (body.get("tool_choice") or {}).get("name")
        if body.get("stream"):
            return _stream(item, tool)
        if tool:
            content = [
                {
                    "type": "tool_use",
                    "id": "toolu_01A09q90qw90lq917835lq9",
                    "name": tool,
                    "input": json.loads(str(item)),
                }
            ]
        else:
            content = [{"type": "text", "text": item}]
        return Reply.json(
            {
                "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
                "type": "message",
                "role": "assistant",
                "model": MODEL,
                "content": content,
                "stop_reason": "tool_use" if tool else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 25, "output_tokens": len(str(item).split())},
            }
        )


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _stream(item: str | Fault, tool: str | None) -> Reply:
    cut = isinstance(item, Fault)
    text = "This stream will break in the middle of it" if cut else str(item)
    start = {
        "id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": MODEL,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 25, "output_tokens": 1},
    }
    block = (
        {"type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": tool, "input": {}}
        if tool
        else {"type": "text", "text": ""}
    )
    delta_type, field = ("input_json_delta", "partial_json") if tool else ("text_delta", "text")
    events = [
        _event("message_start", {"type": "message_start", "message": start}),
        _event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}),
        _event("ping", {"type": "ping"}),
    ]
    events += [
        _event(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": delta_type, field: p}},
        )
        for p in pieces(text)
    ]
    if cut:
        return Reply(headers={"content-type": "text/event-stream"}, chunks=events[:5], cut=True)
    events += [
        _event("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use" if tool else "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(text.split())},
            },
        ),
        _event("message_stop", {"type": "message_stop"}),
    ]
    return Reply(headers={"content-type": "text/event-stream", "cache-control": "no-cache"}, chunks=events)


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply.json(
        {"type": "error", "error": {"type": kind, "message": message}},
        status=status,
        headers={"request-id": "req_011CSHoEeqs5C35K2UUqR7Fy", **(headers or {})},
    )


def _fault(fault: Fault, *, streaming: bool) -> Reply:
    if fault.kind == "rate_limited":
        return _error(
            429,
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
            {"retry-after": fault.retry_after},
        )
    if fault.kind == "server_error":
        return _error(500, "api_error", "Internal server error")
    if fault.kind == "overloaded":
        return _error(529, "overloaded_error", "Overloaded", {"retry-after": fault.retry_after})
    if fault.kind == "unauthorized":
        return _error(401, "authentication_error", "invalid x-api-key")
    if fault.kind == "stall":
        return Reply(stall=True)
    if streaming:
        return Reply(
            headers={"content-type": "text/event-stream"}, chunks=[b"event: message_start\ndata: {oops\n\n"]
        )
    return Reply.json({"id": "msg_01", "type": "message", "role": "assistant"})


def overloaded_event_stream() -> Reply:
    """A stream that fails with an `error` event before any text (documented overload case)."""
    return Reply(
        headers={"content-type": "text/event-stream"},
        chunks=[
            _event(
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_01",
                        "type": "message",
                        "role": "assistant",
                        "content": [],
                        "model": MODEL,
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": 25, "output_tokens": 1},
                    },
                },
            ),
            _event(
                "error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
            ),
        ],
    )

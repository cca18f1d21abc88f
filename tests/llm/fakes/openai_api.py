"""The OpenAI Chat Completions wire format (also spoken by vLLM, llama.cpp server, LM Studio).

Documented shapes: chat.completion objects, SSE streams of chat.completion.chunk objects ending
in `data: [DONE]`, a choices-less usage chunk when `stream_options.include_usage`, error bodies
`{"error": {"message", "type", "param", "code"}}`, /v1/embeddings and /v1/models lists.
Like OpenAI, a chat asked of an alias answers with the dated snapshot that served it
(`gpt-4o-mini` -> `gpt-4o-mini-2024-07-18`); an unknown model is a 404 `model_not_found`.
"""

from __future__ import annotations

import json
from typing import Any

from .script import Fault, Script, pieces
from .server import Reply, Request

SNAPSHOTS = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
}
"""Alias -> the snapshot OpenAI names in its answers. A snapshot asked for answers as itself."""
MODEL = SNAPSHOTS["gpt-4o-mini"]
EMBED_DIM = 4


class FakeOpenAI:
    def __init__(self, key: str | None = None) -> None:
        self.script = Script()
        self.key = key
        self.models = ["gpt-4o-mini", "text-embedding-3-small"]
        """What /v1/models lists; chats accept every alias and snapshot of SNAPSHOTS."""

    def __call__(self, request: Request) -> Reply:
        if self.key and request.headers.get("authorization") != f"Bearer {self.key}":
            return _error(
                401,
                "invalid_request_error",
                "invalid_api_key",
                f"Incorrect API key provided: {request.headers.get('authorization')}",
            )
        route = (request.method, request.path)
        if route == ("GET", "/v1/models"):
            return Reply.json(
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 1686935002, "owned_by": "system"}
                        for m in self.models
                    ],
                }
            )
        if route == ("POST", "/v1/embeddings"):
            return self._embeddings(request.json())
        if route == ("POST", "/v1/chat/completions"):
            return self._chat(request.json())
        return _error(404, "invalid_request_error", "unknown_url", f"Unknown URL {request.path}")

    def _chat(self, body: dict[str, Any]) -> Reply:
        if not body.get("messages"):
            return _error(400, "invalid_request_error", None, "'messages' is a required property")
        if "stream_options" in body and not body.get("stream"):
            return _error(
                400,
                "invalid_request_error",
                None,
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            )
        if not body.get("model"):
            return _error(400, "invalid_request_error", None, "you must provide a model parameter")
        model = _served(body["model"])
        if model is None:
            message = f"The model `{body['model']}` does not exist or you do not have access to it."
            return _error(404, "invalid_request_error", "model_not_found", message)
        item = self.script.next()
        if isinstance(item, Fault) and item.kind != "cut":
            return _fault(item, streaming=bool(body.get("stream")))
        if body.get("stream"):
            usage = (body.get("stream_options") or {}).get("include_usage", False)
            return _stream(item, usage, model)
        return Reply.json(
            {
                "id": "chatcmpl-123",
                "object": "chat.completion",
                "created": 1700000000,
                "model": model,
                "system_fingerprint": "fp_44709d6fcb",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": item, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": _usage(str(item)),
            }
        )

    def _embeddings(self, body: dict[str, Any]) -> Reply:
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(text)), 0.5, -0.5, float(i)]}
            for i, text in enumerate(inputs)
        ]
        tokens = sum(len(t.split()) for t in inputs)
        return Reply.json(
            {
                "object": "list",
                "data": list(reversed(data)),
                "model": body.get("model", "text-embedding-3-small"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )


def _served(asked: str) -> str | None:
    if asked in SNAPSHOTS.values():
        return asked
    return SNAPSHOTS.get(asked)


def _usage(text: str) -> dict[str, int]:
    out = len(text.split())
    return {"prompt_tokens": 9, "completion_tokens": out, "total_tokens": 9 + out}


def _chunk(delta: dict[str, Any], finish: str | None, usage: bool, model: str) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    if usage:
        value["usage"] = None
    return value


def _sse(value: Any) -> bytes:
    return b"data: " + (value if isinstance(value, bytes) else json.dumps(value).encode()) + b"\n\n"


def _stream(item: str | Fault, include_usage: bool, model: str) -> Reply:
    cut = isinstance(item, Fault)
    text = "This stream will break in the middle of it" if cut else str(item)
    events = [_sse(_chunk({"role": "assistant", "content": ""}, None, include_usage, model))]
    events += [_sse(_chunk({"content": p}, None, include_usage, model)) for p in pieces(text)]
    if cut:
        return Reply(headers={"content-type": "text/event-stream"}, chunks=events[:3], cut=True)
    events.append(_sse(_chunk({}, "stop", include_usage, model)))
    if include_usage:
        final = {**_chunk({}, None, False, model), "choices": [], "usage": _usage(text)}
        events.append(_sse(final))
    events.append(_sse(b"[DONE]"))
    return Reply(headers={"content-type": "text/event-stream"}, chunks=events)


def _error(
    status: int, kind: str, code: str | None, message: str, headers: dict[str, str] | None = None
) -> Reply:
    return Reply.json(
        {"error": {"message": message, "type": kind, "param": None, "code": code}},
        status=status,
        headers=headers,
    )


def _fault(fault: Fault, *, streaming: bool) -> Reply:
    if fault.kind == "rate_limited":
        return _error(
            429,
            "requests",
            "rate_limit_exceeded",
            "Rate limit reached for requests",
            {"retry-after": fault.retry_after},
        )
    if fault.kind == "server_error":
        return _error(500, "server_error", None, "The server had an error processing your request.")
    if fault.kind == "overloaded":
        return _error(503, "server_error", None, "The engine is currently overloaded.")
    if fault.kind == "unauthorized":
        return _error(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided")
    if fault.kind == "stall":
        return Reply(stall=True)
    if streaming:  # malformed: a data line that is not JSON
        return Reply(
            headers={"content-type": "text/event-stream"}, chunks=[b"data: {not json\n\n", _sse(b"[DONE]")]
        )
    return Reply.json({"id": "chatcmpl-123", "object": "chat.completion", "choices": []})

"""Ollama's native API as documented in its api.md: /api/chat, /api/generate, /api/embed,
/api/tags. Streams are NDJSON (application/x-ndjson) ending with a `done: true` object that
carries prompt_eval_count and eval_count; errors are `{"error": "..."}` with a status, and an
error after the stream began is an `{"error": ...}` line under the 200 already sent.
"""

from __future__ import annotations

import json
from typing import Any

from .script import Fault, Script, pieces
from .server import Reply, Request

CREATED = "2023-12-12T14:13:43.416799Z"


class FakeOllama:
    def __init__(self) -> None:
        self.script = Script()
        self.models = ["llama3.2:latest", "all-minilm:latest"]

    def __call__(self, request: Request) -> Reply:
        route = (request.method, request.path)
        if route == ("GET", "/api/tags"):
            return Reply.json(
                {
                    "models": [
                        {
                            "name": m,
                            "model": m,
                            "modified_at": CREATED,
                            "size": 2019393189,
                            "digest": "a80c4f17acd5",
                            "details": {"format": "gguf", "family": "llama"},
                        }
                        for m in self.models
                    ]
                }
            )
        body = request.json() or {}
        if request.method == "POST" and request.path in ("/api/chat", "/api/generate", "/api/embed"):
            if not body.get("model"):
                return Reply.json({"error": "model is required"}, status=400)
            if body["model"].split(":")[0] not in {m.split(":")[0] for m in self.models}:
                return Reply.json({"error": f"model '{body['model']}' not found"}, status=404)
        if route == ("POST", "/api/embed"):
            vectors = [[float(len(t)), 0.25, -0.25] for t in body["input"]]
            return Reply.json(
                {
                    "model": body["model"],
                    "embeddings": vectors,
                    "total_duration": 14143917,
                    "load_duration": 1019500,
                    "prompt_eval_count": 8,
                }
            )
        if route == ("POST", "/api/chat"):
            return self._answer(body, lambda text: {"message": {"role": "assistant", "content": text}})
        if route == ("POST", "/api/generate"):
            return self._answer(body, lambda text: {"response": text})
        return Reply(status=404, body=b"404 page not found", headers={"content-type": "text/plain"})

    def _answer(self, body: dict[str, Any], shape: Any) -> Reply:
        item = self.script.next()
        stream = body.get("stream", True)  # Ollama streams unless told otherwise
        if isinstance(item, Fault) and item.kind != "cut":
            return _fault(item, stream=stream)
        model = body["model"]
        if not stream:
            return Reply.json(
                {
                    "model": model,
                    "created_at": CREATED,
                    **shape(item),
                    "done": True,
                    "done_reason": "stop",
                    **_stats(str(item)),
                }
            )
        cut = isinstance(item, Fault)
        text = "This stream will break in the middle of it" if cut else str(item)
        lines = [
            _line({"model": model, "created_at": CREATED, **shape(p), "done": False}) for p in pieces(text)
        ]
        if cut:
            return Reply(headers={"content-type": "application/x-ndjson"}, chunks=lines[:2], cut=True)
        lines.append(
            _line(
                {
                    "model": model,
                    "created_at": CREATED,
                    **shape(""),
                    "done": True,
                    "done_reason": "stop",
                    **_stats(text),
                }
            )
        )
        return Reply(headers={"content-type": "application/x-ndjson"}, chunks=lines)


def _stats(text: str) -> dict[str, int]:
    return {
        "total_duration": 5191566416,
        "load_duration": 2154458,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 383809000,
        "eval_count": len(text.split()),
        "eval_duration": 4799921000,
    }


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode() + b"\n"


def _fault(fault: Fault, *, stream: bool) -> Reply:
    if fault.kind == "rate_limited":
        return Reply.json(
            {"error": "too many requests"}, status=429, headers={"retry-after": fault.retry_after}
        )
    if fault.kind == "server_error":
        return Reply.json({"error": "the model failed to generate a response"}, status=500)
    if fault.kind == "overloaded":
        return Reply.json({"error": "server busy, please try again"}, status=503)
    if fault.kind == "unauthorized":
        return Reply.json({"error": "unauthorized"}, status=401)
    if fault.kind == "stall":
        return Reply(stall=True)
    if stream:
        return Reply(
            headers={"content-type": "application/x-ndjson"}, chunks=[b'{"model": "llama3.2", "message": \n']
        )
    return Reply.json({"model": "llama3.2", "created_at": CREATED, "done": True})

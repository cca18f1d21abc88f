"""Anthropic's Messages API: POST /v1/messages (x-api-key, anthropic-version), GET /v1/models.

System messages are lifted into the top-level `system` field; `max_tokens` is required. Streams
are SSE: message_start (input usage), content_block_start/_delta/_stop, message_delta
(stop_reason, cumulative output usage), message_stop, ping, and `error` events. Errors have the
body `{"type": "error", "error": {"type": "overloaded_error", ...}}`; 529, and 429 with an
overloaded_error type, mean Overloaded. JSON-schema answers are emulated by one forced tool
whose input is returned as JSON text. No embeddings endpoint: embed() is UnsupportedFeature.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import SecretStr

from mapekd.llm.errors import (
    BadRequest,
    MalformedResponse,
    Overloaded,
    ProviderError,
    RateLimited,
    ServerError,
    StreamInterrupted,
    UnsupportedFeature,
)
from mapekd.llm.providers.config import AnthropicConfig
from mapekd.llm.providers.http_base import HttpProvider
from mapekd.llm.providers.http_errors import retry_after
from mapekd.llm.providers.sse import iter_sse
from mapekd.llm.types import ChatRequest, Chunk, Completion, EmbeddingRequest, Embeddings, Usage

ANSWER_TOOL = "answer"
"""The forced tool that carries a JSON-schema answer."""

_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
}
_STREAM_ERRORS: dict[str, type[ProviderError]] = {
    "overloaded_error": Overloaded,
    "rate_limit_error": RateLimited,
    "api_error": ServerError,
}


class AnthropicProvider(HttpProvider):
    def __init__(
        self,
        config: AnthropicConfig,
        *,
        api_key: SecretStr | None = None,
        model: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        key = api_key or config.api_key
        secret = key.get_secret_value() if key is not None else ""
        headers = {"anthropic-version": config.version}
        if secret:
            headers["x-api-key"] = secret
        super().__init__(
            config.name,
            base_url=config.base_url,
            timeouts=config.timeouts,
            headers=headers,
            transport=transport,
            secrets=(secret,) if secret else (),
        )
        self._model = model or config.model

    async def chat(self, request: ChatRequest) -> Completion:
        body = await self._request_json("POST", "/v1/messages", self._payload(request))
        try:
            blocks = body["content"]
            if request.json_schema is not None:
                text = next(json.dumps(b["input"]) for b in blocks if b["type"] == "tool_use")
            else:
                text = "".join(b["text"] for b in blocks if b["type"] == "text")
        except (KeyError, TypeError, StopIteration) as exc:
            raise MalformedResponse(self.name, "message without the expected content") from exc
        return Completion(
            text=text,
            model=str(body.get("model") or self._model),
            provider=self.name,
            usage=_usage(body.get("usage")),
            finish_reason=self._finish(body.get("stop_reason"), request),
        )

    def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        return self._guard(self._chunks(request))

    async def _chunks(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        payload = {**self._payload(request), "stream": True}
        input_tokens = output_tokens = 0
        stop_reason: str | None = None
        async for event in iter_sse(self._stream_lines("/v1/messages", payload)):
            item = self._decode_line(event.data)
            kind = item.get("type")
            if kind == "message_start":
                usage = (item.get("message") or {}).get("usage") or {}
                input_tokens = int(usage.get("input_tokens") or 0)
                output_tokens = int(usage.get("output_tokens") or 0)
            elif kind == "content_block_delta":
                delta = item.get("delta") or {}
                text = delta.get("text") or delta.get("partial_json") or ""
                if text:
                    yield Chunk(delta=text)
            elif kind == "message_delta":
                stop_reason = (item.get("delta") or {}).get("stop_reason") or stop_reason
                output_tokens = int((item.get("usage") or {}).get("output_tokens") or output_tokens)
            elif kind == "message_stop":
                usage_total = Usage(input_tokens=input_tokens, output_tokens=output_tokens)
                finish = self._finish(stop_reason, request) or "stop"
                yield Chunk(delta="", finish_reason=finish, usage=usage_total)
                return
            elif kind == "error":
                raise self._stream_error(item)
        raise StreamInterrupted(self.name, "stream ended without message_stop")

    async def embed(self, request: EmbeddingRequest) -> Embeddings:
        raise UnsupportedFeature(f"{self.name}: the Anthropic API has no embeddings endpoint")

    async def models(self) -> list[str]:
        body = await self._request_json("GET", "/v1/models")
        try:
            return [str(row["id"]) for row in body["data"]]
        except (KeyError, TypeError) as exc:
            raise MalformedResponse(self.name, "models without data[].id") from exc

    def _error_detail(self, body: Any) -> str:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return ""
        return str(error.get("message") or error.get("type") or "")

    def _status_error(self, response: httpx.Response, body: bytes) -> ProviderError:
        error = super()._status_error(response, body)
        if isinstance(error, RateLimited) and _error_type(body) == "overloaded_error":
            return Overloaded(
                self.name,
                f"HTTP {error.status} (overloaded_error)",
                status=error.status,
                retry_after=retry_after(response.headers),
            )
        return error

    def _stream_error(self, item: dict[str, Any]) -> ProviderError:
        error = item.get("error") or {}
        cls = _STREAM_ERRORS.get(str(error.get("type")), StreamInterrupted)
        return cls(self.name, f"error event in the stream ({error.get('type')})")

    def _finish(self, stop_reason: Any, request: ChatRequest) -> str | None:
        if stop_reason is None:
            return None
        if stop_reason == "tool_use" and request.json_schema is not None:
            return "stop"
        return _STOP_REASONS.get(str(stop_reason), str(stop_reason))

    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        model = request.model or self._model
        if not model:
            raise BadRequest(self.name, "no model: set `model` in the provider or the request")
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        payload: dict[str, Any] = {
            "model": model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "messages": [
                {"role": "assistant" if m.role == "assistant" else "user", "content": m.content}
                for m in request.messages
                if m.role != "system"
            ],
        }
        if system:
            payload["system"] = system
        if request.top_p is not None:
            payload["top_p"] = request.top_p
        if request.stop:
            payload["stop_sequences"] = list(request.stop)
        tools = list(request.tools)
        if request.json_schema is not None:
            tools.append(
                {
                    "name": ANSWER_TOOL,
                    "description": "Give the answer.",
                    "input_schema": dict(request.json_schema),
                }
            )
            payload["tool_choice"] = {"type": "tool", "name": ANSWER_TOOL}
        if tools:
            payload["tools"] = tools
        payload.update(request.options)
        return payload


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    return Usage(
        input_tokens=int(raw.get("input_tokens") or 0), output_tokens=int(raw.get("output_tokens") or 0)
    )


def _error_type(body: bytes) -> str | None:
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return None
    return str(error.get("type")) if isinstance(error, dict) else None

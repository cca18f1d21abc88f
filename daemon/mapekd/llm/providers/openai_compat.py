"""OpenAI's Chat Completions wire format: OpenAI, vLLM, the llama.cpp server, LM Studio.

POST {base_url}/chat/completions (streamed as SSE `data: {...}` ... `data: [DONE]`, usage in the
last chunk through `stream_options.include_usage`), POST /embeddings, GET /models.
JSON-schema answers use `response_format: {type: json_schema, json_schema: {name, schema, strict}}`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import SecretStr

from mapekd.llm.errors import MalformedResponse, StreamInterrupted
from mapekd.llm.providers.config import OpenAICompatConfig
from mapekd.llm.providers.http_base import HttpProvider, bearer_auth
from mapekd.llm.providers.sse import iter_sse
from mapekd.llm.types import (
    ChatRequest,
    Chunk,
    Completion,
    EmbeddingRequest,
    Embeddings,
    Usage,
)


class OpenAICompatProvider(HttpProvider):
    def __init__(
        self,
        config: OpenAICompatConfig,
        *,
        api_key: SecretStr | None = None,
        model: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers, secrets = bearer_auth(api_key or config.api_key)
        super().__init__(
            config.name,
            base_url=config.base_url,
            timeouts=config.timeouts,
            headers=headers,
            transport=transport,
            secrets=secrets,
        )
        self._model = model or config.model
        self._schema_mode = config.json_schema_mode

    async def chat(self, request: ChatRequest) -> Completion:
        body = await self._request_json("POST", "/chat/completions", self._payload(request))
        try:
            choice = body["choices"][0]
            message = choice["message"]
            text = message.get("content") or _tool_calls_text(message.get("tool_calls"))
            return Completion(
                text=text,
                model=str(body.get("model") or self._model or ""),
                provider=self.name,
                usage=_usage(body.get("usage")),
                finish_reason=choice.get("finish_reason"),
            )
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise MalformedResponse(self.name, "no choices[0].message in the answer") from exc

    def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        return self._guard(self._chunks(request))

    async def _chunks(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        payload = {**self._payload(request), "stream": True, "stream_options": {"include_usage": True}}
        finish: str | None = None
        usage: Usage | None = None
        async for event in iter_sse(self._stream_lines("/chat/completions", payload)):
            if event.data == "[DONE]":
                if finish is None:
                    raise StreamInterrupted(self.name, "stream ended without a finish_reason")
                yield Chunk(delta="", finish_reason=finish, usage=usage)
                return
            item = self._decode_line(event.data)
            if "error" in item:
                raise StreamInterrupted(self.name, "error event in the stream")
            if item.get("usage"):
                usage = _usage(item["usage"])
            for choice in item.get("choices") or ():
                delta = (choice.get("delta") or {}).get("content")
                finish = choice.get("finish_reason") or finish
                if delta:
                    yield Chunk(delta=delta)
        raise StreamInterrupted(self.name, "stream ended without [DONE]")

    async def embed(self, request: EmbeddingRequest) -> Embeddings:
        payload: dict[str, Any] = {"input": list(request.inputs)}
        if model := request.model or self._model:
            payload["model"] = model
        body = await self._request_json("POST", "/embeddings", payload)
        try:
            rows = sorted(body["data"], key=lambda row: row.get("index", 0))
            vectors = tuple(tuple(float(x) for x in row["embedding"]) for row in rows)
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(self.name, "embeddings without data[].embedding") from exc
        if len(vectors) != len(request.inputs):
            raise MalformedResponse(self.name, "embeddings count differs from inputs")
        return Embeddings(
            vectors=vectors,
            model=str(body.get("model") or payload.get("model", "")),
            provider=self.name,
            usage=_usage(body.get("usage")),
        )

    async def models(self) -> list[str]:
        body = await self._request_json("GET", "/models")
        try:
            return [str(row["id"]) for row in body["data"]]
        except (KeyError, TypeError) as exc:
            raise MalformedResponse(self.name, "models without data[].id") from exc

    def _error_detail(self, body: Any) -> str:
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict):
                return str(error.get("message") or error.get("type") or "")
            return str(error or body.get("message") or "")
        return ""

    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if model := request.model or self._model:
            payload["model"] = model
        optional = {
            "top_p": request.top_p,
            "seed": request.seed,
            "stop": list(request.stop) or None,
            "tools": list(request.tools) or None,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        if request.json_schema is not None:
            schema = dict(request.json_schema)
            payload["response_format"] = (
                {"type": "json_object", "schema": schema}
                if self._schema_mode == "json_object"
                else {
                    "type": "json_schema",
                    "json_schema": {"name": "answer", "schema": strict_subset(schema), "strict": True},
                }
            )
        payload.update(request.options)
        return payload


_NOT_STRICT = frozenset({"minLength", "maxLength"})
"""Keywords OpenAI's strict structured outputs refuse; the answer is validated after anyway."""


def strict_subset(schema: Any) -> Any:
    """The schema without keywords strict mode refuses (string lengths), recursively."""
    if isinstance(schema, dict):
        return {k: strict_subset(v) for k, v in schema.items() if k not in _NOT_STRICT}
    if isinstance(schema, list):
        return [strict_subset(v) for v in schema]
    return schema


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0), output_tokens=int(raw.get("completion_tokens") or 0)
    )


def _tool_calls_text(calls: Any) -> str:
    """Tool calls as JSON text `[{"name": ..., "arguments": {...}}]` (Completion is text only)."""
    if not calls:
        return ""
    out = []
    for call in calls:
        function = call.get("function") or {}
        try:
            arguments = json.loads(function.get("arguments") or "{}")
        except ValueError:
            arguments = function.get("arguments")
        out.append({"name": function.get("name"), "arguments": arguments})
    return json.dumps(out)

"""Ollama's native API: /api/chat, /api/generate, /api/embed, /api/tags.

Streams are NDJSON: one object per line, the last with `done: true` and the token counts
(`prompt_eval_count`, `eval_count`). An error after the stream began arrives as a line
`{"error": "..."}` under the already-sent 200 status. `format` takes a JSON schema; sampling
settings go in `options` (max_tokens -> num_predict).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import SecretStr

from mapekd.llm.errors import BadRequest, MalformedResponse, ServerError, StreamInterrupted
from mapekd.llm.providers.config import OllamaConfig
from mapekd.llm.providers.http_base import HttpProvider, bearer_auth
from mapekd.llm.types import ChatRequest, Chunk, Completion, EmbeddingRequest, Embeddings, Usage


class OllamaProvider(HttpProvider):
    def __init__(
        self,
        config: OllamaConfig,
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
        self._keep_alive = config.keep_alive

    async def chat(self, request: ChatRequest) -> Completion:
        body = await self._request_json("POST", "/api/chat", self._payload(request, stream=False))
        message = body.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise MalformedResponse(self.name, "chat answer without message.content")
        return self._completion(body, message["content"])

    async def generate(self, request: ChatRequest) -> Completion:
        """The request through /api/generate: system messages -> `system`, others -> `prompt`."""
        payload = self._payload(request, stream=False)
        messages = payload.pop("messages")
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        payload["prompt"] = "\n\n".join(m["content"] for m in messages if m["role"] != "system")
        if system:
            payload["system"] = system
        body = await self._request_json("POST", "/api/generate", payload)
        if not isinstance(body.get("response"), str):
            raise MalformedResponse(self.name, "generate answer without response")
        return self._completion(body, body["response"])

    def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        return self._guard(self._chunks(request))

    async def _chunks(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        payload = self._payload(request, stream=True)
        async for line in self._stream_lines("/api/chat", payload):
            if not line.strip():
                continue
            item = self._decode_line(line)
            if "error" in item:
                raise ServerError(self.name, "error line in the stream")
            delta = (item.get("message") or {}).get("content") or ""
            if item.get("done") is True:
                if delta:
                    yield Chunk(delta=delta)
                reason = str(item.get("done_reason") or "stop")
                yield Chunk(delta="", finish_reason=reason, usage=_usage(item))
                return
            if delta:
                yield Chunk(delta=delta)
        raise StreamInterrupted(self.name, "stream ended without done: true")

    async def embed(self, request: EmbeddingRequest) -> Embeddings:
        model = self._require_model(request.model)
        body = await self._request_json("POST", "/api/embed", {"model": model, "input": list(request.inputs)})
        try:
            vectors = tuple(tuple(float(x) for x in row) for row in body["embeddings"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(self.name, "embed answer without embeddings") from exc
        if len(vectors) != len(request.inputs):
            raise MalformedResponse(self.name, "embeddings count differs from inputs")
        usage = Usage(input_tokens=int(body.get("prompt_eval_count") or 0))
        return Embeddings(
            vectors=vectors, model=str(body.get("model") or model), provider=self.name, usage=usage
        )

    async def models(self) -> list[str]:
        body = await self._request_json("GET", "/api/tags")
        try:
            return [str(row["name"]) for row in body["models"]]
        except (KeyError, TypeError) as exc:
            raise MalformedResponse(self.name, "tags without models[].name") from exc

    def _error_detail(self, body: Any) -> str:
        return str(body.get("error") or "") if isinstance(body, dict) else ""

    def _require_model(self, requested: str | None) -> str:
        model = requested or self._model
        if not model:
            raise BadRequest(self.name, "no model: set `model` in the provider or the request")
        return model

    def _completion(self, body: dict[str, Any], text: str) -> Completion:
        return Completion(
            text=text,
            model=str(body.get("model") or self._model),
            provider=self.name,
            usage=_usage(body),
            finish_reason=str(body.get("done_reason") or "stop"),
        )

    def _payload(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        options: dict[str, Any] = {"temperature": request.temperature, "num_predict": request.max_tokens}
        optional = {"seed": request.seed, "top_p": request.top_p, "stop": list(request.stop) or None}
        options.update({k: v for k, v in optional.items() if v is not None})
        options.update(request.options)
        payload: dict[str, Any] = {
            "model": self._require_model(request.model),
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": stream,
            "options": options,
        }
        if request.json_schema is not None:
            payload["format"] = dict(request.json_schema)
        if request.tools:
            payload["tools"] = list(request.tools)
        if self._keep_alive is not None:
            payload["keep_alive"] = self._keep_alive
        return payload


def _usage(body: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=int(body.get("prompt_eval_count") or 0), output_tokens=int(body.get("eval_count") or 0)
    )

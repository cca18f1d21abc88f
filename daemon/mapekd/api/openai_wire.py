"""The OpenAI wire format on our side of the gateway: request bodies validated into our own
ChatRequest / EmbeddingRequest, and our Completion / Chunk / Embeddings written back as OpenAI
objects. Unknown request fields are ignored (SDKs send more than a gateway needs)."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mapekd.llm.types import ChatRequest, Completion, Embeddings, Message, Usage


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TextPart(_Lenient):
    type: Literal["text"]
    text: str


class MessageIn(_Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    def to_message(self) -> Message:
        text = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content or [])
        return Message("system" if self.role == "developer" else self.role, text)


class ChatBody(_Lenient):
    model: str | None = None
    messages: list[MessageIn] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, gt=0)
    max_completion_tokens: int | None = Field(default=None, gt=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: Literal[1] = 1
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] = Field(default_factory=list)

    def texts(self) -> list[str]:
        """Everything of the body that reaches the provider as text: the messages, and the other
        fields serialized (tools, response_format, stop), so none of them can carry an unlimited
        or unchecked prompt past `max_prompt_chars` and `blocked_patterns`."""
        extras = [self.tools, self.response_format, self.stop]
        return [m.to_message().content for m in self.messages] + [
            json.dumps(extra, ensure_ascii=False) for extra in extras if extra
        ]

    @property
    def include_usage(self) -> bool:
        return bool((self.stream_options or {}).get("include_usage"))

    def to_request(self, tenant: str) -> ChatRequest:
        defaults = ChatRequest(messages=())
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return ChatRequest(
            messages=tuple(m.to_message() for m in self.messages),
            model=self.model,
            max_tokens=self.max_completion_tokens or self.max_tokens or defaults.max_tokens,
            temperature=defaults.temperature if self.temperature is None else self.temperature,
            top_p=self.top_p,
            stop=stop,
            seed=self.seed,
            json_schema=_schema(self.response_format),
            tools=tuple(self.tools),
            tenant=tenant,
        )


def _schema(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    if not response_format or response_format.get("type") == "text":
        return None
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else {"type": "object"}
    return {"type": "object"}  # json_object: any JSON object


class EmbeddingsBody(_Lenient):
    input: str | list[str] = Field(min_length=1)
    model: str | None = None
    encoding_format: Literal["float", "base64"] = "float"

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)


def usage_json(usage: Usage | None) -> dict[str, int] | None:
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }


def completion_json(c: Completion, request_id: str, created: int) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": created,
        "model": c.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": c.text},
                "logprobs": None,
                "finish_reason": c.finish_reason or "stop",
            }
        ],
        "usage": usage_json(c.usage),
    }


def chunk_json(
    request_id: str, created: int, model: str, delta: dict[str, str], finish: str | None
) -> dict[str, Any]:
    return {
        "id": request_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def embeddings_json(result: Embeddings, encoding: str) -> dict[str, Any]:
    data = [
        {"object": "embedding", "index": i, "embedding": _encode(vector, encoding)}
        for i, vector in enumerate(result.vectors)
    ]
    tokens = result.usage.input_tokens
    return {
        "object": "list",
        "data": data,
        "model": result.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _encode(vector: tuple[float, ...], encoding: str) -> list[float] | str:
    if encoding == "base64":  # little-endian float32, as OpenAI sends it
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return list(vector)

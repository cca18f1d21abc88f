"""Our own request and response types. Providers translate to and from their wire formats;
no SDK type ever leaves a provider's file."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A chat request. Every field that can change the answer belongs in the exact-cache key."""

    messages: tuple[Message, ...]
    model: str | None = None
    """None: the provider's configured default model."""
    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    json_schema: Mapping[str, Any] | None = None
    """Constrain the answer to this JSON schema where the backend supports it."""
    tools: tuple[Mapping[str, Any], ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    """Provider-specific options passed through (e.g. Ollama's num_ctx)."""
    tenant: str = "default"
    role: str | None = None
    """Caller role (analyze, plan, explain...): selects the provider and model per role."""
    task: str | None = None
    """Budget scope: per-task budgets are charged here."""


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    model: str
    provider: str
    usage: Usage = Usage()
    finish_reason: str | None = None
    cached: bool = False


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of a streamed answer. The last chunk carries finish_reason (and usage if known)."""

    delta: str
    finish_reason: str | None = None
    usage: Usage | None = None
    provider: str | None = None
    """Set by the gateway on the first chunk: the provider that answers (for X-LLM-Actual-Provider)."""


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    inputs: tuple[str, ...]
    model: str | None = None
    tenant: str = "default"


@dataclass(frozen=True, slots=True)
class Embeddings:
    vectors: tuple[tuple[float, ...], ...]
    model: str
    provider: str
    usage: Usage = Usage()


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What every gateway call leaves behind, for metrics and the knowledge base."""

    provider: str
    model: str
    kind: Literal["chat", "stream", "embed", "rank"]
    usage: Usage
    cost: float
    latency_s: float
    cached: bool = False
    error_class: str | None = None
    role: str | None = None
    tenant: str = "default"
    ts: float = field(default_factory=time.time)

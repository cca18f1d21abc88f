"""The Provider seam: four calls and close(), shared by every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from mapekd.llm.types import ChatRequest, Chunk, Completion, EmbeddingRequest, Embeddings


@runtime_checkable
class Provider(Protocol):
    name: str

    async def chat(self, request: ChatRequest) -> Completion: ...

    def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]: ...

    async def embed(self, request: EmbeddingRequest) -> Embeddings: ...

    async def models(self) -> list[str]: ...

    async def close(self) -> None: ...


@runtime_checkable
class Ranker(Protocol):
    """An optional capability of a provider: score given answers instead of writing one.

    A provider that has it (the local model) also implements Provider; code asks
    `isinstance(provider, Ranker)` and falls back to `chat` when it does not."""

    async def rank(self, request: ChatRequest, options: Sequence[str]) -> dict[str, float]:
        """The model's log-likelihood of each option as the whole answer to `request`."""
        ...

"""The Provider seam: four calls and close(), shared by every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
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

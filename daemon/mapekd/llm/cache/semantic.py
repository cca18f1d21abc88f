"""The semantic cache: OFF by default. A hit needs ALL of
- the same scope (model, role, sampling parameters, json_schema, tools, options, tenant and the
  whole conversation before the last message: `keys.semantic_scope`),
- cosine similarity of the last message's embedding >= threshold (>= 0.95, enforced by config),
- the lexical guard (`guard.guard_reason`): negations, actions, numbers, names must agree.
Every hit is logged with its similarity; a near miss stopped by the guard is logged with why.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mapekd.llm.cache.embedders import Embedder, Vector, cosine, normalise
from mapekd.llm.cache.guard import guard_reason

log = logging.getLogger(__name__)
V = TypeVar("V")


@dataclass(slots=True)
class _Entry(Generic[V]):
    scope: str
    text: str
    vector: Vector
    value: V
    expires: float


@dataclass(frozen=True, slots=True)
class Lookup(Generic[V]):
    value: V | None
    similarity: float
    vector: Vector
    """The query's embedding, to store the answer without embedding twice."""


class SemanticCache(Generic[V]):
    def __init__(
        self,
        embedder: Embedder,
        *,
        threshold: float,
        max_entries: int,
        ttl: float,
        clock: Callable[[], float],
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], _Entry[V]] = OrderedDict()
        self.hits = self.misses = self.guard_blocks = 0

    async def lookup(self, scope: str, text: str) -> Lookup[V]:
        vector = normalise((await self.embedder.embed([text]))[0])
        now = self._clock()
        best: _Entry[V] | None = None
        best_sim = -1.0
        for key, entry in list(self._entries.items()):
            if entry.expires <= now:
                del self._entries[key]
            elif entry.scope == scope and (sim := cosine(vector, entry.vector)) > best_sim:
                best, best_sim = entry, sim
        if best is None or best_sim < self.threshold:
            self.misses += 1
            return Lookup(None, best_sim, vector)
        reason = guard_reason(text, best.text)
        if reason is not None:
            self.guard_blocks += 1
            self.misses += 1
            log.info(
                "semantic cache: guard refused similarity=%.4f (%s): %r vs %r",
                best_sim,
                reason,
                text,
                best.text,
            )
            return Lookup(None, best_sim, vector)
        self.hits += 1
        self._entries.move_to_end((best.scope, best.text))
        log.info("semantic cache hit similarity=%.4f: %r served %r's answer", best_sim, text, best.text)
        return Lookup(best.value, best_sim, vector)

    def put(self, scope: str, text: str, vector: Vector, value: V) -> None:
        key = (scope, text)
        self._entries[key] = _Entry(scope, text, vector, value, self._clock() + self.ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def snapshot(self) -> dict[str, Any]:
        return {
            "enabled": True,
            "embedder": self.embedder.name,
            "threshold": self.threshold,
            "entries": len(self._entries),
            "hits": self.hits,
            "misses": self.misses,
            "guard_blocks": self.guard_blocks,
        }

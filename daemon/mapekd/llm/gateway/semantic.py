"""The gateway's side of the semantic cache: look up the last message in the request's scope, and
store answers; an embedder failure is a miss, never a failed call."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mapekd.llm.cache import SemanticCache, semantic_scope
from mapekd.llm.cache.embedders import Vector
from mapekd.llm.gateway.runtime import CallContext, Recorder, log
from mapekd.llm.types import ChatRequest, Completion


@dataclass(frozen=True, slots=True)
class Probe:
    """A semantic miss, remembered to store the answer without embedding again."""

    scope: str
    text: str
    vector: Vector


class SemanticLayer:
    def __init__(self, cache: SemanticCache[Completion], recorder: Recorder) -> None:
        self.cache = cache
        self.recorder = recorder

    async def lookup(
        self, request: ChatRequest, pinned: str | None, ctx: CallContext
    ) -> tuple[Completion | None, Probe | None]:
        if not request.messages:
            return None, None
        scope = semantic_scope(request, pinned)
        text = request.messages[-1].content
        try:
            found = await self.cache.lookup(scope, text)
        except Exception as exc:
            log.warning("semantic cache lookup failed (%s: %s)", type(exc).__name__, exc)
            return None, None
        metrics = self.recorder.metrics
        if found.value is None:
            metrics.cache_misses.labels("semantic").inc()
            return None, Probe(scope, text, found.vector)
        metrics.cache_hits.labels("semantic").inc()
        hit = found.value
        self.recorder.success(ctx, hit.provider, hit.model, hit.usage, 0.0, 0.0, cached=True)
        return replace(hit, cached=True), None

    def store(self, probe: Probe, result: Completion) -> None:
        self.cache.put(probe.scope, probe.text, probe.vector, result)

    def snapshot(self) -> dict[str, Any]:
        return self.cache.snapshot()

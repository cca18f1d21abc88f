"""The Gateway: caches, then the plan (role, mode, strategy), then failover under one retry budget,
limits and budgets; every call leaves a CallRecord and metrics.

    chat(request)      exact cache -> single flight -> semantic cache -> providers -> caches
    stream(request)    exact cache (one chunk) -> providers, fallback before the first chunk only
    embed(request)     providers (those without embeddings are skipped)
    rank(request, options)  the routes that can rank (see ranking.py), after can_rank(role)

`provider=` pins a call to one provider (no fallback), as the CLI's --provider does.
Answers from offline providers are not cached in auto/online mode, so that a canned fallback answer
is not still served once the real provider is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from mapekd.llm.base import Ranker
from mapekd.llm.cache import ExactCache, SemanticCache, SingleFlight, exact_key
from mapekd.llm.cache.keys import CacheKey
from mapekd.llm.config import LLMSettings
from mapekd.llm.errors import UnsupportedFeature
from mapekd.llm.gateway.attempt import Attempt
from mapekd.llm.gateway.executor import Estimate, Executor
from mapekd.llm.gateway.ranking import Ranked, can_rank, ranking_steps
from mapekd.llm.gateway.route_order import RouteOrder
from mapekd.llm.gateway.routes import Route
from mapekd.llm.gateway.runtime import CallContext, Runtime, log
from mapekd.llm.gateway.semantic import Probe, SemanticLayer
from mapekd.llm.gateway.streaming import Opened, open_stream, relay
from mapekd.llm.limits import estimate_input, estimate_text
from mapekd.llm.types import ChatRequest, Chunk, Completion, EmbeddingRequest, Embeddings, Usage


class Gateway:
    def __init__(
        self,
        settings: LLMSettings,
        routes: Sequence[Route],
        route_order: RouteOrder,
        executor: Executor,
        runtime: Runtime,
        exact: ExactCache[Completion] | None,
    ) -> None:
        self.settings = settings
        self.routes = list(routes)
        self.route_order = route_order
        self.executor = executor
        self.services = executor.services
        self.recorder = executor.services.recorder
        self.metrics = self.recorder.metrics
        self.runtime = runtime
        self.exact = exact
        self.semantic: SemanticLayer | None = None
        self._flight: SingleFlight[Completion] = SingleFlight()

    def enable_semantic(self, cache: SemanticCache[Completion]) -> None:
        """Turn the semantic cache on (build_gateway does when the settings say so)."""
        self.semantic = SemanticLayer(cache, self.recorder)

    async def chat(
        self, request: ChatRequest, *, provider: str | None = None, cache: bool = True
    ) -> Completion:
        ctx = CallContext("chat", request.role, request.tenant, request.task)
        if not cache or self.exact is None:
            return await self._chat(request, provider, ctx, None)
        key = exact_key(request, provider)
        hit = self._cached(key, ctx)
        if hit is not None:
            return hit
        result, shared = await self._flight.run(key, lambda: self._chat(request, provider, ctx, key))
        if not shared:
            return result
        self.recorder.success(ctx, result.provider, result.model, result.usage, 0.0, 0.0, cached=True)
        return replace(result, cached=True)

    def _cached(self, key: CacheKey, ctx: CallContext) -> Completion | None:
        assert self.exact is not None
        started = self.runtime.clock()
        hit = self.exact.get(key)
        if hit is None:
            self.metrics.exact_miss.inc()
            return None
        self.metrics.exact_hit.inc()
        latency = self.runtime.clock() - started
        self.recorder.success(ctx, hit.provider, hit.model, hit.usage, 0.0, latency, cached=True)
        return replace(hit, cached=True)

    async def _chat(
        self, request: ChatRequest, pinned: str | None, ctx: CallContext, key: CacheKey | None
    ) -> Completion:
        probe: Probe | None = None
        if key is not None and self.semantic is not None:
            hit, probe = await self.semantic.lookup(request, pinned, ctx)
            if hit is not None:
                return hit
        steps = self.route_order.steps(role=request.role, model=request.model, pinned=pinned)
        est = Estimate(estimate_input(request), request.max_tokens)

        async def invoke(attempt: Attempt) -> Completion:
            return await attempt.slot.provider.chat(for_attempt(request, attempt))

        result, attempt = await self.executor.run(
            steps, ctx, est, invoke, lambda c, a: (c.usage, c.model or a.model)
        )
        if key is not None and self._cacheable(attempt):
            self._store(key, result, probe)
        return result

    def _cacheable(self, attempt: Attempt) -> bool:
        return not attempt.route.offline or self.settings.mode == "offline"

    def _store(self, key: CacheKey, result: Completion, probe: Probe | None) -> None:
        if self.exact is not None:
            self.exact.put(key, result)
        if self.semantic is not None and probe is not None:
            self.semantic.store(probe, result)

    async def stream(
        self, request: ChatRequest, *, provider: str | None = None, cache: bool = True
    ) -> AsyncIterator[Chunk]:
        ctx = CallContext("stream", request.role, request.tenant, request.task)
        key = exact_key(request, provider) if cache and self.exact is not None else None
        hit = self._cached(key, ctx) if key is not None else None
        if hit is not None:
            yield Chunk(hit.text, hit.finish_reason or "stop", hit.usage, provider=hit.provider)
            return
        steps = self.route_order.steps(role=request.role, model=request.model, pinned=provider)
        est = Estimate(estimate_input(request), request.max_tokens)

        async def invoke(attempt: Attempt) -> Opened:
            return await open_stream(request, attempt)

        opened, attempt = await self.executor.run(steps, ctx, est, invoke, None)

        def complete(result: Completion) -> None:
            self.executor.count_route(attempt)
            if key is not None and self._cacheable(attempt):
                self._store(key, result, None)

        chunks = relay(opened, attempt, est.input_tokens, self.runtime.clock, complete)
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()  # at once, not whenever the collector gets to it

    async def embed(self, request: EmbeddingRequest, *, provider: str | None = None) -> Embeddings:
        ctx = CallContext("embed", None, request.tenant)
        steps = self.route_order.steps(role=None, model=request.model, pinned=provider)
        est = Estimate(sum(estimate_text(t) for t in request.inputs), 0)

        async def invoke(attempt: Attempt) -> Embeddings:
            return await attempt.slot.provider.embed(for_attempt(request, attempt))

        result, _ = await self.executor.run(
            steps, ctx, est, invoke, lambda e, a: (e.usage, e.model or a.model)
        )
        return result

    def can_rank(self, role: str | None) -> bool:
        """A capability query: every route a call of this role may go to first can rank."""
        first = self.route_order.first_routes(role)
        return bool(first) and all(can_rank(route) for route in first)

    async def rank(self, request: ChatRequest, options: Sequence[str]) -> Ranked:
        """Each option's log-likelihood as the answer, from the first route that can rank."""
        ctx = CallContext("rank", request.role, request.tenant, request.task)
        all_steps = self.route_order.steps(role=request.role, model=request.model, pinned=None)
        steps = ranking_steps(all_steps)
        if not steps:
            raise UnsupportedFeature(f"no provider of role {request.role!r} can rank")
        est = Estimate(estimate_input(request), 0)

        async def invoke(attempt: Attempt) -> dict[str, float]:
            ranker = attempt.slot.provider
            assert isinstance(ranker, Ranker)  # ranking_steps kept only these
            return await ranker.rank(for_attempt(request, attempt), list(options))

        scores, attempt = await self.executor.run(
            steps, ctx, est, invoke, lambda _, a: (Usage(input_tokens=est.input_tokens), a.model)
        )
        # A route that names no model uses the provider's own (the embedded one's file): say which.
        model = attempt.model or next(iter(await attempt.slot.provider.models()), "")
        return Ranked(dict(scores), attempt.route.name, model)

    def status(self) -> dict[str, Any]:
        ewma = getattr(self.services.strategy, "ewma", {})
        providers = []
        for route in self.routes:
            entry = route.snapshot()
            entry["latency_ewma_s"] = round(ewma[route.name], 4) if route.name in ewma else None
            providers.append(entry)
        return {
            "mode": self.settings.mode,
            "strategy": self.settings.routing.strategy,
            "providers": providers,
            "cache": {
                "exact": self.exact.snapshot() if self.exact is not None else {"enabled": False},
                "semantic": self.semantic.snapshot() if self.semantic is not None else {"enabled": False},
                "in_flight": self._flight.in_flight(),
                "shared": self._flight.shared,
            },
            "budget": self.services.budget.snapshot(),
            "unpriced_models": sorted(self.services.prices.unpriced),
        }

    async def close(self) -> None:
        providers = [slot.provider for route in self.routes for slot in route.slots]
        results = await asyncio.gather(*(p.close() for p in providers), return_exceptions=True)
        for provider, result in zip(providers, results, strict=True):
            if isinstance(result, Exception):
                log.warning("closing provider %s failed: %s", provider.name, result)


def for_attempt(request: Any, attempt: Attempt) -> Any:
    """The request as this attempt sends it: with the role's model when one applies."""
    model = attempt.requested_model
    return request if model is None or model == request.model else replace(request, model=model)

"""build_gateway: the one way the daemon, the CLI and the benchmarks assemble a Gateway from the
`llm:` settings. Everything that touches the outside world can be injected."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from mapekd.llm.base import Provider
from mapekd.llm.breaker import CircuitBreaker
from mapekd.llm.budget import Budget
from mapekd.llm.cache import Embedder, ExactCache, MiniLMEmbedder, ProviderEmbedder, SemanticCache
from mapekd.llm.config import LLMSettings
from mapekd.llm.gateway.attempt import Services
from mapekd.llm.gateway.core import Gateway
from mapekd.llm.gateway.executor import Executor
from mapekd.llm.gateway.route_order import RouteOrder
from mapekd.llm.gateway.routes import ProviderFactory, Route, build_routes
from mapekd.llm.gateway.runtime import Recorder, Runtime, Sink
from mapekd.llm.metrics import LLMMetrics
from mapekd.llm.pricing import PriceTable
from mapekd.llm.providers.config import ProviderConfig
from mapekd.llm.providers.registry import build_provider
from mapekd.llm.routing import Strategy, build_strategy
from mapekd.llm.types import Completion


def build_gateway(
    settings: LLMSettings,
    *,
    registry: CollectorRegistry | None = None,
    sink: Sink | None = None,
    runtime: Runtime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    provider_factory: ProviderFactory | None = None,
    embedder: Embedder | None = None,
    spent_today: float = 0.0,
) -> Gateway:
    """A Gateway over `settings.providers` (one Provider per API key).

    registry: where metrics go (a fresh CollectorRegistry if None; never the global one).
    sink: receives a CallRecord for every call (the knowledge base stores them).
    runtime: clock, wall clock, sleep and random source (tests pass fakes).
    transport: given to every provider instead of the network (tests, replays).
    provider_factory: replaces build_provider (tests).
    embedder: the semantic cache's embedder, when it is enabled (default: local MiniLM, or
        `cache.semantic.embed_provider`).
    spent_today: what this UTC day's calls already cost, so that a restart does not reset the
        daily budget: `store.llm_spent_since(start_of_utc_day(time.time()))`.
    """
    runtime = runtime or Runtime()
    metrics = LLMMetrics(registry if registry is not None else CollectorRegistry())
    factory = provider_factory or _default_factory(transport)
    routes = build_routes(settings, factory, runtime.clock)
    strategy = build_strategy(settings.routing, runtime.rng)
    recorder = Recorder(metrics, sink, runtime.wall_clock)
    services = _services(settings, routes, strategy, recorder, runtime, spent_today)
    for route in routes:
        metrics.bind_breaker(route.name, _breaker_reader(route.breaker))
    metrics.bind_budget(services.budget)
    gateway = Gateway(
        settings,
        routes,
        RouteOrder(settings, routes, strategy),
        Executor(settings.retries, services, runtime),
        runtime,
        _exact(settings, runtime),
    )
    semantic = settings.cache.semantic
    if semantic.enabled:
        gateway.enable_semantic(
            SemanticCache(
                embedder or _embedder(settings, gateway),
                threshold=semantic.threshold,
                max_entries=semantic.max_entries,
                ttl=semantic.ttl,
                clock=runtime.clock,
            )
        )
    return gateway


def _services(
    settings: LLMSettings,
    routes: list[Route],
    strategy: Strategy,
    recorder: Recorder,
    runtime: Runtime,
    spent_today: float,
) -> Services:
    """Prices (every configured model looked up now, so that status lists the unpriced ones
    before any call), the budget seeded with today's spending, routing and the call recorder."""
    prices = PriceTable(settings.prices, free_providers=settings.offline_providers())
    for provider, model in _configured_models(settings, routes):
        prices.price(provider, model)
    budget = Budget(settings.budgets, wall_clock=runtime.wall_clock)
    budget.seed_daily(spent_today)
    return Services(prices=prices, budget=budget, strategy=strategy, recorder=recorder)


def _configured_models(settings: LLMSettings, routes: list[Route]) -> set[tuple[str, str]]:
    """(provider, model) of every model the configuration asks for: keys' and roles'."""
    found = {(r.name, s.model) for r in routes for s in r.slots if s.model}
    for role in settings.roles.values():
        if role.model:
            found |= {(r.name, role.model) for r in routes if role.provider in (None, r.name)}
    return found


def _exact(settings: LLMSettings, runtime: Runtime) -> ExactCache[Completion] | None:
    exact = settings.cache.exact
    if not exact.enabled:
        return None
    return ExactCache(max_entries=exact.max_entries, ttl=exact.ttl, clock=runtime.clock)


def _breaker_reader(breaker: CircuitBreaker) -> Callable[[], float]:
    return lambda: float(breaker.state.code)


def _embedder(settings: LLMSettings, gateway: Gateway) -> Embedder:
    name = settings.cache.semantic.embed_provider
    if name is None:
        return MiniLMEmbedder()
    return ProviderEmbedder(name, lambda request: gateway.embed(request, provider=name))


def _default_factory(transport: httpx.AsyncBaseTransport | None) -> ProviderFactory:
    def factory(config: ProviderConfig, key: SecretStr | None, model: str | None) -> Provider:
        return build_provider(config, api_key=key, model=model, transport=transport)

    return factory

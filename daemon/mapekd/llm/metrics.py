"""Prometheus metrics of the LLM layer, registered in the CollectorRegistry passed in (never the
global one, so tests and several gateways in one process don't collide).

    llm_provider_requests_total{provider,kind}        calls made to a provider
    llm_provider_errors_total{provider,error}         failed calls, by error class
    llm_provider_latency_seconds{provider}            histogram of call latency
    llm_provider_tokens_total{provider,direction}     input / output tokens
    llm_cache_hits_total{cache} / llm_cache_misses_total{cache}   exact | semantic
    llm_rate_limit_limited_total{provider}            calls refused or delayed by a local limit
    llm_gateway_failovers_total                       answers that came from a later route
    llm_gateway_offline_hits_total                    answers that came from an offline provider
    llm_breaker_state{provider}                       0 closed, 1 half-open, 2 open
    llm_cost_total{provider,model}                    money spent, in the price table's unit
                                                      (model: as the provider named it)
    llm_unpriced_calls_total{provider,model}          answered calls charged 0: no price for the
                                                      model asked for (a paid provider's)
    llm_budget_daily_spent / llm_budget_daily_limit   today's (UTC) spend and limit (no limit: absent)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from mapekd.llm.budget import Budget
from mapekd.llm.types import Usage

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class LLMMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        r = registry
        self.requests = Counter(
            "llm_provider_requests_total", "Provider calls", ["provider", "kind"], registry=r
        )
        self.errors = Counter(
            "llm_provider_errors_total", "Failed provider calls", ["provider", "error"], registry=r
        )
        self.latency = Histogram(
            "llm_provider_latency_seconds",
            "Provider call latency",
            ["provider"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter("llm_provider_tokens_total", "Tokens", ["provider", "direction"], registry=r)
        self.cache_hits = Counter("llm_cache_hits_total", "Cache hits", ["cache"], registry=r)
        self.cache_misses = Counter("llm_cache_misses_total", "Cache misses", ["cache"], registry=r)
        self.limited = Counter(
            "llm_rate_limit_limited_total",
            "Calls refused or delayed by a local rate limit",
            ["provider"],
            registry=r,
        )
        self.failovers = Counter("llm_gateway_failovers_total", "Answers from a later route", registry=r)
        self.offline_hits = Counter(
            "llm_gateway_offline_hits_total", "Answers from an offline provider", registry=r
        )
        self.breaker = Gauge("llm_breaker_state", "0 closed, 1 half-open, 2 open", ["provider"], registry=r)
        self.cost = Counter("llm_cost_total", "Money spent on LLM calls", ["provider", "model"], registry=r)
        self.unpriced = Counter(
            "llm_unpriced_calls_total",
            "Answered calls charged 0 because their model has no price",
            ["provider", "model"],
            registry=r,
        )

        self._children: dict[tuple[str, str], _Children] = {}
        self._unpriced: dict[tuple[str, str], Counter] = {}
        self.exact_hit = self.cache_hits.labels("exact")
        self.exact_miss = self.cache_misses.labels("exact")

    def bind_breaker(self, provider: str, read: Callable[[], float]) -> None:
        self.breaker.labels(provider).set_function(read)

    def bind_budget(self, budget: Budget) -> None:
        """Export today's spend, read at scrape time, and the daily limit if there is one (no
        limit: no series, so no alert divides by it). Once per registry, like the gateway."""
        spent = Gauge("llm_budget_daily_spent", "Spent today (UTC) incl. holds", registry=self.registry)
        spent.set_function(lambda: float(budget.snapshot()["daily_spent"]))
        if budget.settings.daily is not None:
            limit = Gauge("llm_budget_daily_limit", "Daily budget limit", registry=self.registry)
            limit.set(budget.settings.daily)

    def _for(self, provider: str, kind: str) -> _Children:
        """Labelled children, resolved once: labels() costs microseconds on every call."""
        found = self._children.get((provider, kind))
        if found is None:
            found = _Children(
                self.requests.labels(provider, kind),
                self.latency.labels(provider),
                self.tokens.labels(provider, "input"),
                self.tokens.labels(provider, "output"),
            )
            self._children[(provider, kind)] = found
        return found

    def call(self, provider: str, kind: str, latency_s: float, usage: Usage, cost: float, model: str) -> None:
        children = self._for(provider, kind)
        children.requests.inc()
        children.latency.observe(latency_s)
        if usage.input_tokens:
            children.input_tokens.inc(usage.input_tokens)
        if usage.output_tokens:
            children.output_tokens.inc(usage.output_tokens)
        if cost:
            self.cost.labels(provider, model).inc(cost)

    def unpriced_call(self, provider: str, model: str) -> None:
        child = self._unpriced.get((provider, model))
        if child is None:
            child = self._unpriced[(provider, model)] = self.unpriced.labels(provider, model)
        child.inc()

    def error(self, provider: str, kind: str, latency_s: float, error: str) -> None:
        children = self._for(provider, kind)
        children.requests.inc()
        children.latency.observe(latency_s)
        self.errors.labels(provider, error).inc()


class _Children(NamedTuple):
    requests: Counter
    latency: Histogram
    input_tokens: Counter
    output_tokens: Counter

"""Embeddings, status, metrics names, the exported API."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

import mapekd.llm.cache as cache_pkg
import mapekd.llm.gateway as gateway_pkg
import mapekd.llm.limits as limits_pkg
import mapekd.llm.routing as routing_pkg
from mapekd.llm.errors import ServerError, UnsupportedFeature
from mapekd.llm.types import EmbeddingRequest

from .doubles import ask, make_env, provider

METRICS = [
    "llm_provider_requests_total",
    "llm_provider_errors_total",
    "llm_provider_latency_seconds",
    "llm_provider_tokens_total",
    "llm_cache_hits_total",
    "llm_cache_misses_total",
    "llm_rate_limit_limited_total",
    "llm_gateway_failovers_total",
    "llm_gateway_offline_hits_total",
    "llm_breaker_state",
    "llm_cost_total",
    "llm_unpriced_calls_total",
]


async def test_embed_skips_providers_without_embeddings() -> None:
    env = make_env({"providers": [provider("a"), provider("b")]})
    env.p("a").embeddings = False
    result = await env.gateway.embed(EmbeddingRequest(inputs=("x", "yy")))
    assert result.provider == "b" and len(result.vectors) == 2
    assert env.gateway.routes[0].breaker.state.value == "closed"
    assert env.records[-1].kind == "embed"


async def test_embed_unsupported_everywhere_says_so() -> None:
    env = make_env({"providers": [provider("a")]})
    env.p("a").embeddings = False
    with pytest.raises(UnsupportedFeature):
        await env.gateway.embed(EmbeddingRequest(inputs=("x",)))


async def test_metric_names_are_present_after_calls() -> None:
    env = make_env(
        {
            "providers": [provider("a"), provider("z", "offline")],
            "limits": {"a": {"rpm": 1}},
            "prices": {"default-model": {"input_per_mtok": 1}},
        }
    )
    env.p("a").then(ServerError("a", "500"))
    await env.gateway.chat(ask("1"))  # a fails, z (offline) answers
    env.clock.advance(60)
    await env.gateway.chat(ask("2"))  # a answers
    await env.gateway.chat(ask("2"))  # cache hit
    await env.gateway.chat(ask("3"))  # a is rate limited -> z
    text = generate_latest(env.registry).decode()
    for name in METRICS:
        assert name in text, name
    assert env.metric("llm_provider_requests_total", provider="a", kind="chat") == 2
    assert env.metric("llm_provider_errors_total", provider="a", error="ServerError") == 1
    assert env.metric("llm_provider_tokens_total", provider="a", direction="input") == 10
    assert env.metric("llm_gateway_offline_hits_total") == 2
    assert env.metric("llm_rate_limit_limited_total", provider="a") == 2  # retry of 1, and 3


def test_metrics_never_touch_the_global_registry() -> None:
    from prometheus_client import REGISTRY

    make_env({})
    make_env({})  # twice: no duplicate registration
    assert REGISTRY.get_sample_value("llm_gateway_failovers_total") is None


async def test_status_reports_providers_breakers_limits_cache_budget() -> None:
    env = make_env(
        {
            "providers": [provider("a", api_keys=[{"key": "sk-SECRET-1", "model": "m", "rpm": 5}])],
            "limits": {"a": {"tpm": 1000}},
            "routing": {"strategy": "least_latency"},
            "budgets": {"daily": 2.0},
        }
    )
    await env.gateway.chat(ask())
    status = env.gateway.status()
    (a,) = status["providers"]
    assert a["breaker"]["state"] == "closed" and a["limits"]["tpm"]["limit"] == 1000
    assert a["keys"] == [
        {"key": 0, "model": "m", "algorithm": "token_bucket", "rpm": {"limit": 5, "available": 4}}
    ]
    assert a["latency_ewma_s"] is not None
    assert status["cache"]["exact"]["entries"] == 1
    assert status["budget"]["daily_limit"] == 2.0
    assert status["unpriced_models"] == ["a/m"]
    assert "SECRET" not in str(status)  # no secrets


def test_exported_members() -> None:
    assert gateway_pkg.__all__ == ["Gateway", "Runtime", "Sink", "build_gateway"]
    for package in (gateway_pkg, cache_pkg, limits_pkg, routing_pkg):
        for name in package.__all__:
            assert hasattr(package, name), f"{package.__name__}.{name}"

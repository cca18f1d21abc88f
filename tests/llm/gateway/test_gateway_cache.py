"""Caches inside the gateway: exact hits, single flight, tenant isolation, semantic cache."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from mapekd.llm.cache.embedders import Vector
from mapekd.llm.errors import AllProvidersFailed, ServerError

from .doubles import ask, make_env, provider

ONE = {"providers": [provider("a")]}


async def test_an_identical_request_is_answered_from_the_cache() -> None:
    env = make_env(ONE)
    first = await env.gateway.chat(ask())
    second = await env.gateway.chat(ask())
    assert not first.cached and second.cached and second.text == first.text
    assert len(env.p("a").calls) == 1
    assert env.metric("llm_cache_hits_total", cache="exact") == 1
    assert env.metric("llm_cache_misses_total", cache="exact") == 1
    assert [r.cached for r in env.records] == [False, True]
    assert env.records[1].cost == 0.0


async def test_tenants_and_parameters_do_not_share_answers() -> None:
    env = make_env(ONE)
    await env.gateway.chat(ask(tenant="a"))
    await env.gateway.chat(ask(tenant="b"))
    await env.gateway.chat(ask(tenant="a", temperature=0.5))
    assert len(env.p("a").calls) == 3


async def test_cache_can_be_bypassed_per_call() -> None:
    env = make_env(ONE)
    await env.gateway.chat(ask())
    await env.gateway.chat(ask(), cache=False)
    assert len(env.p("a").calls) == 2


async def test_failures_are_not_cached() -> None:
    env = make_env(ONE)
    env.p("a").then(ServerError("a", "500"), ServerError("a", "500"), ServerError("a", "500"))
    with pytest.raises(AllProvidersFailed):
        await env.gateway.chat(ask())
    assert (await env.gateway.chat(ask())).cached is False


async def test_concurrent_identical_requests_make_one_call() -> None:
    env = make_env(ONE)
    gate = asyncio.Event()
    original = env.p("a").chat

    async def slow(request):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await original(request)

    env.p("a").chat = slow  # type: ignore[method-assign]
    tasks = [asyncio.create_task(env.gateway.chat(ask())) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks)
    assert len(env.p("a").calls) == 1
    assert sum(r.cached for r in results) == 9
    assert env.gateway.status()["cache"]["shared"] == 9


class WordEmbedder:
    """Deterministic bag-of-words vectors: rewordings with the same words are identical."""

    name = "words"

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        vocab = ["restart", "stop", "nginx", "postgres", "please"]
        return [(*(float(w in t.lower()) for w in vocab[:4]), 0.001) for t in texts]


SEMANTIC = {**ONE, "cache": {"semantic": {"enabled": True, "threshold": 0.95}}}


async def test_semantic_cache_serves_a_rewording_but_not_a_flipped_action() -> None:
    env = make_env(SEMANTIC, embedder=WordEmbedder())
    await env.gateway.chat(ask("restart nginx"))
    hit = await env.gateway.chat(ask("Restart nginx please"))
    assert hit.cached and len(env.p("a").calls) == 1
    assert env.metric("llm_cache_hits_total", cache="semantic") == 1
    await env.gateway.chat(ask("stop nginx"))
    await env.gateway.chat(ask("restart postgres"))
    assert len(env.p("a").calls) == 3


async def test_semantic_cache_is_scoped_by_model_params_and_tenant() -> None:
    env = make_env(SEMANTIC, embedder=WordEmbedder())
    await env.gateway.chat(ask("restart nginx"))
    await env.gateway.chat(ask("restart nginx please", tenant="other"))
    await env.gateway.chat(ask("restart nginx please", model="other"))
    await env.gateway.chat(ask("restart nginx please", temperature=0.9))
    assert len(env.p("a").calls) == 4


async def test_a_failing_embedder_is_a_miss_not_a_failure() -> None:
    class Broken:
        name = "broken"

        async def embed(self, texts: Sequence[str]) -> list[Vector]:
            raise RuntimeError("model missing")

    env = make_env(SEMANTIC, embedder=Broken())
    assert (await env.gateway.chat(ask("restart nginx"))).text == "ok"


async def test_semantic_cache_can_embed_with_a_provider() -> None:
    config = {
        "providers": [provider("a"), provider("emb")],
        "cache": {"semantic": {"enabled": True, "embed_provider": "emb"}},
    }
    env = make_env(config)
    await env.gateway.chat(ask("restart nginx"))
    assert len(env.p("emb").calls) == 1  # the embedding call
    assert env.gateway.status()["cache"]["semantic"]["embedder"] == "emb"

"""Streams fall back before their first chunk only; after it, failures are StreamInterrupted."""

from __future__ import annotations

import pytest

from mapekd.llm.errors import (
    AllProvidersFailed,
    ProviderUnavailable,
    ServerError,
    StreamInterrupted,
)
from mapekd.llm.types import Chunk, Usage

from .doubles import ask, make_env, provider

TWO = {"providers": [provider("a"), provider("b")]}


async def collect(env, request=None, **kw) -> list[Chunk]:  # type: ignore[no-untyped-def]
    return [c async for c in env.gateway.stream(request or ask(), **kw)]


async def test_a_stream_relays_every_chunk_and_is_recorded() -> None:
    env = make_env(TWO)
    env.p("a").then(["Hel", "lo", None])
    chunks = await collect(env)
    assert "".join(c.delta for c in chunks) == "Hello"
    assert chunks[-1].finish_reason == "stop"
    (record,) = env.records
    assert (record.provider, record.kind, record.error_class) == ("a", "stream", None)
    assert record.usage == Usage(10, 5)


async def test_fallback_before_the_first_chunk() -> None:
    env = make_env(TWO)
    env.p("a").then(ProviderUnavailable("a", "refused"))
    env.p("b").then(["from ", "b", None])
    chunks = await collect(env)
    assert "".join(c.delta for c in chunks) == "from b"
    assert env.metric("llm_gateway_failovers_total") == 1


async def test_fallback_when_the_stream_fails_before_any_chunk() -> None:
    env = make_env(TWO)
    env.p("a").then([ServerError("a", "500 at start")])
    env.p("b").then(["b", None])
    assert "".join(c.delta for c in await collect(env)) == "b"


async def test_failure_after_the_first_chunk_is_stream_interrupted_never_a_clean_end() -> None:
    env = make_env(TWO)
    env.p("a").then(["partial ", ServerError("a", "connection reset")])
    received: list[str] = []
    with pytest.raises(StreamInterrupted) as info:
        async for chunk in env.gateway.stream(ask()):
            received.append(chunk.delta)
    assert received == ["partial "]
    assert info.value.provider == "a"
    assert env.p("b").calls == []  # no fallback after the first chunk
    assert env.records[-1].error_class == "StreamInterrupted"
    assert env.gateway.routes[0].breaker._failures == 1


async def test_a_stream_ending_without_finish_reason_is_interrupted() -> None:
    env = make_env(TWO)
    env.p("a").then(["cut short"])
    with pytest.raises(StreamInterrupted, match="without a finish reason"):
        await collect(env)


async def test_a_provider_stream_interrupted_passes_through() -> None:
    env = make_env(TWO)
    env.p("a").then(["x", StreamInterrupted("a", "no [DONE]")])
    with pytest.raises(StreamInterrupted, match="no \\[DONE\\]"):
        await collect(env)


async def test_a_completed_stream_is_cached_and_replayed_as_one_chunk() -> None:
    env = make_env(TWO)
    env.p("a").then(["Hel", "lo", None])
    await collect(env)
    again = await collect(env)
    assert [(c.delta, c.finish_reason) for c in again] == [("Hello", "stop")]
    assert len(env.p("a").calls) == 1
    assert (await env.gateway.chat(ask())).text == "Hello"  # same key as chat


async def test_all_streams_failing_raises_all_providers_failed() -> None:
    env = make_env(TWO)
    env.p("a").default = ServerError("a", "500")
    env.p("b").default = ServerError("b", "500")
    with pytest.raises(AllProvidersFailed):
        await collect(env)


async def test_closing_a_stream_early_releases_the_breaker_probe() -> None:
    env = make_env({**TWO, "cache": {"exact": {"enabled": False}}})
    env.p("a").then(["one ", "two ", None])
    agen = env.gateway.stream(ask())
    assert (await anext(agen)).delta == "one "
    await agen.aclose()
    route = env.gateway.routes[0]
    assert route.breaker.state.value == "closed" and route.breaker._failures == 0
    assert (await collect(env))[-1].finish_reason == "stop"


async def test_a_half_open_probe_closed_early_frees_the_probe_slot() -> None:
    env = make_env(
        {
            **TWO,
            "cache": {"exact": {"enabled": False}},
            "breaker": {"failure_threshold": 1, "reset_timeout": "10s"},
        }
    )
    env.p("a").then(ServerError("a", "500"))
    await env.gateway.chat(ask())  # a fails (breaker opens), b answers
    env.clock.advance(10)
    env.p("a").then(["one ", "two ", None], "a answers")
    agen = env.gateway.stream(ask())
    assert (await anext(agen)).delta == "one "  # from a: the half-open probe
    await agen.aclose()
    assert (await env.gateway.chat(ask())).provider == "a"  # the probe slot was released

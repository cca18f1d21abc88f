"""Failover, the single retry budget, breakers and modes, with scripted providers and a fake
clock: no sleeps, no network."""

from __future__ import annotations

import pytest

from mapekd.llm.errors import (
    AllProvidersFailed,
    AuthenticationFailed,
    BadRequest,
    CircuitOpen,
    ModelLoadFailed,
    NotFound,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    ServerError,
)

from .doubles import Hang, ask, make_env, provider

TWO = {"providers": [provider("a"), provider("b")], "cache": {"exact": {"enabled": False}}}


async def test_answers_come_from_the_secondary_when_the_primary_fails() -> None:
    env = make_env(TWO)
    env.p("a").then(ProviderUnavailable("a", "connection refused"))
    env.p("b").then("from b")
    result = await env.gateway.chat(ask())
    assert (result.text, result.provider) == ("from b", "b")
    assert env.sleep.calls == []  # moving to another provider does not wait
    assert env.metric("llm_gateway_failovers_total") == 1
    assert [(r.provider, r.error_class) for r in env.records] == [("a", "ProviderUnavailable"), ("b", None)]


async def test_one_retry_budget_is_shared_across_fallbacks() -> None:
    env = make_env({**TWO, "retries": {"max_attempts": 3}})
    env.p("a").default = ServerError("a", "500")
    env.p("b").default = ServerError("b", "500")
    with pytest.raises(AllProvidersFailed) as info:
        await env.gateway.chat(ask())
    assert len(env.p("a").calls) + len(env.p("b").calls) == 3  # not 3 per provider
    assert [type(e) for e in info.value.errors] == [ServerError] * 3
    assert len(env.sleep.calls) == 1  # only going back to `a` waited


async def test_retry_after_is_honoured_when_going_back() -> None:
    env = make_env({"providers": [provider("a")], "cache": {"exact": {"enabled": False}}})
    env.p("a").then(RateLimited("a", "429", retry_after=4.0), "finally")
    result = await env.gateway.chat(ask())
    assert result.text == "finally"
    assert env.sleep.calls[0] >= 4.0


async def test_a_retry_after_too_long_leaves_the_provider() -> None:
    env = make_env({**TWO, "retries": {"max_retry_after": "10s"}})
    env.p("a").default = RateLimited("a", "429", retry_after=3600.0)
    env.p("b").default = ServerError("b", "500")
    with pytest.raises(AllProvidersFailed):
        await env.gateway.chat(ask())
    assert len(env.p("a").calls) == 1
    assert all(d < 3600 for d in env.sleep.calls)


async def test_non_retryable_errors_are_not_retried_on_the_same_provider() -> None:
    env = make_env({"providers": [provider("a")], "retries": {"max_attempts": 5}})
    env.p("a").default = BadRequest("a", "context too long")
    with pytest.raises(AllProvidersFailed):
        await env.gateway.chat(ask())
    assert len(env.p("a").calls) == 1


async def test_a_hanging_primary_times_out_and_the_secondary_answers() -> None:
    config = {**TWO, "providers": [provider("a", timeouts={"total": "50ms"}), provider("b")]}
    env = make_env(config)
    env.p("a").then(Hang())
    env.p("b").then("from b")
    result = await env.gateway.chat(ask())
    assert result.provider == "b"
    assert env.records[0].error_class == "ProviderTimeout"


async def test_breaker_opens_then_skips_then_probes_once_then_closes() -> None:
    config = {
        **TWO,
        "breaker": {"failure_threshold": 2, "reset_timeout": "30s"},
        "retries": {"max_attempts": 2},
    }
    env = make_env(config)
    env.p("a").default = ProviderUnavailable("a", "refused")
    for _ in range(2):
        assert (await env.gateway.chat(ask())).provider == "b"
    route_a = env.gateway.routes[0]
    assert route_a.breaker.state.value == "open"
    assert env.metric("llm_breaker_state", provider="a") == 2
    calls = len(env.p("a").calls)
    assert (await env.gateway.chat(ask())).provider == "b"
    assert len(env.p("a").calls) == calls  # skipped: no call to a dead primary
    env.clock.advance(30)
    env.p("a").default = "a is back"
    result = await env.gateway.chat(ask())
    assert result.provider == "a" and len(env.p("a").calls) == calls + 1
    assert route_a.breaker.state.value == "closed"
    assert env.metric("llm_breaker_state", provider="a") == 0


async def test_circuit_open_everywhere_is_reported() -> None:
    env = make_env({"providers": [provider("a")], "breaker": {"failure_threshold": 1}})
    env.p("a").default = ServerError("a", "500")
    with pytest.raises(AllProvidersFailed):
        await env.gateway.chat(ask())
    with pytest.raises(AllProvidersFailed) as info:
        await env.gateway.chat(ask())
    assert isinstance(info.value.errors[0], CircuitOpen)


async def test_bad_requests_do_not_open_the_breaker() -> None:
    env = make_env({"providers": [provider("a")], "breaker": {"failure_threshold": 1}})
    env.p("a").default = BadRequest("a", "bad")
    for _ in range(3):
        with pytest.raises(AllProvidersFailed):
            await env.gateway.chat(ask())
    assert env.gateway.routes[0].breaker.state.value == "closed"
    env.p("a").default = AuthenticationFailed("a", "401")
    with pytest.raises(AllProvidersFailed):
        await env.gateway.chat(ask())
    assert env.gateway.routes[0].breaker.state.value == "open"


async def test_a_model_that_cannot_load_opens_the_breaker() -> None:
    env = make_env({"providers": [provider("local", "local_llama")], "breaker": {"failure_threshold": 1}})
    env.p("local").default = ModelLoadFailed("local", "cannot load /m.gguf: ValueError")
    with pytest.raises(AllProvidersFailed):
        await env.gateway.chat(ask())
    assert env.gateway.routes[0].breaker.state.value == "open"


async def test_no_canned_answer_does_not_open_the_breaker() -> None:
    env = make_env({"providers": [provider("canned", "offline")], "breaker": {"failure_threshold": 1}})
    env.p("canned").default = NotFound("canned", "no answer matches")
    for _ in range(3):
        with pytest.raises(AllProvidersFailed):
            await env.gateway.chat(ask())
    assert env.gateway.routes[0].breaker.state.value == "closed"


async def test_an_unmapped_exception_fails_over_and_is_recorded() -> None:
    env = make_env(TWO)
    env.p("a").then(KeyError("bug in a provider"))
    assert (await env.gateway.chat(ask())).provider == "b"
    assert env.records[0].error_class == "ProviderError"


AUTO = {
    "providers": [provider("a"), provider("canned", "offline"), provider("b")],
    "cache": {"exact": {"enabled": True}},
    "retries": {"max_attempts": 2},
}


async def test_auto_mode_puts_offline_last_and_outside_the_retry_budget() -> None:
    env = make_env(AUTO)
    env.p("a").default = ServerError("a", "500")
    env.p("b").default = ServerError("b", "500")
    env.p("canned").default = "canned answer"
    result = await env.gateway.chat(ask())
    assert result.provider == "canned"
    assert [r.provider for r in env.records] == ["a", "b", "canned"]
    assert env.metric("llm_gateway_offline_hits_total") == 1
    # not cached: once `a` is back, it answers
    env.p("a").default = "real answer"
    assert (await env.gateway.chat(ask())).text == "real answer"


async def test_offline_mode_uses_only_offline_providers() -> None:
    env = make_env({**AUTO, "mode": "offline"})
    result = await env.gateway.chat(ask())
    assert result.provider == "canned"
    assert env.p("a").calls == [] and env.p("b").calls == []
    assert (await env.gateway.chat(ask())).cached  # offline answers are cached in offline mode


async def test_online_mode_never_uses_offline_providers() -> None:
    env = make_env({**AUTO, "mode": "online"})
    env.p("a").default = ServerError("a", "500")
    env.p("b").default = ServerError("b", "500")
    with pytest.raises(AllProvidersFailed):
        await env.gateway.chat(ask())
    assert env.p("canned").calls == []


async def test_roles_choose_provider_and_model() -> None:
    config = {**TWO, "roles": {"analyze": {"provider": "b", "model": "big"}, "explain": {"model": "small"}}}
    env = make_env(config)
    result = await env.gateway.chat(ask(role="analyze"))
    assert (result.provider, result.model) == ("b", "big")
    env.p("b").then(ServerError("b", "500"))
    result = await env.gateway.chat(ask(role="analyze"))
    assert (result.provider, result.model) == ("a", "default-model")  # the role's model is b's
    assert (await env.gateway.chat(ask(role="explain"))).model == "small"
    assert (await env.gateway.chat(ask(role="analyze", model="mine"))).model == "mine"


async def test_a_pinned_provider_gets_no_fallback() -> None:
    env = make_env(TWO)
    env.p("a").default = ProviderTimeout("a", "slow")
    with pytest.raises(AllProvidersFailed):
        await env.gateway.chat(ask(), provider="a")
    assert env.p("b").calls == []
    assert (await env.gateway.chat(ask(), provider="b")).provider == "b"
    with pytest.raises(Exception, match="no provider named 'zz'"):
        await env.gateway.chat(ask(), provider="zz")


async def test_every_call_leaves_a_record_with_cost() -> None:
    config = {**TWO, "prices": {"default-model": {"input_per_mtok": 1000, "output_per_mtok": 2000}}}
    env = make_env(config)
    await env.gateway.chat(ask(role="plan", tenant="t1"))
    (record,) = env.records
    assert record.provider == "a" and record.kind == "chat" and record.role == "plan"
    assert record.tenant == "t1" and record.ts == env.wall()
    assert record.cost == pytest.approx((10 * 1000 + 5 * 2000) / 1e6)
    assert env.metric("llm_cost_total", provider="a", model="default-model") == record.cost


async def test_a_broken_sink_never_breaks_a_call() -> None:
    env = make_env(TWO)

    def broken(record: object) -> None:
        raise RuntimeError("db down")

    env.gateway.recorder._sink = broken
    assert (await env.gateway.chat(ask())).text == "ok"


async def test_close_closes_every_provider_instance() -> None:
    env = make_env({"providers": [provider("a", api_keys=[{"key": "k1"}, {"key": "k2"}]), provider("b")]})
    await env.gateway.close()
    assert all(p.closed for ps in env.providers.values() for p in ps)


async def test_a_cancelled_probe_frees_the_probe_slot() -> None:
    import asyncio

    env = make_env({**TWO, "breaker": {"failure_threshold": 1, "reset_timeout": "10s"}})
    env.p("a").then(ServerError("a", "500"))
    await env.gateway.chat(ask("1"))
    env.clock.advance(10)
    env.p("a").then(Hang(), "a is back")
    probe = asyncio.create_task(env.gateway.chat(ask("2")))
    await asyncio.sleep(0)
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    assert (await env.gateway.chat(ask("3"))).provider == "a"

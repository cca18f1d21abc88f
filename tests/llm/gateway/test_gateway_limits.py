"""Rate limits and budgets inside the gateway: per key round robin, TPM reserved then settled,
blocking and non-blocking, budgets before the call."""

from __future__ import annotations

import pytest

from mapekd.llm.errors import BudgetExceeded, RateLimitExceeded

from .doubles import ask, make_env, provider

NO_CACHE = {"cache": {"exact": {"enabled": False}}}


def keys(*specs: dict) -> dict:
    return provider("a", api_keys=list(specs))


async def test_api_keys_are_used_round_robin_with_their_own_models() -> None:
    env = make_env(
        {
            "providers": [keys({"key": "k1", "model": "m1"}, {"key": "k2", "model": "m2"}, {"key": "k3"})],
            **NO_CACHE,
        }
    )
    models = [(await env.gateway.chat(ask(str(i)))).model for i in range(4)]
    assert models == ["m1", "m2", "default-model", "m1"]
    assert [p.key for p in env.providers["a"]] == ["k1", "k2", "k3"]


async def test_a_limited_key_is_skipped_for_the_next_one() -> None:
    env = make_env({"providers": [keys({"key": "k1", "rpm": 1}, {"key": "k2", "rpm": 5})], **NO_CACHE})
    for i in range(4):
        await env.gateway.chat(ask(str(i)))
    assert [len(p.calls) for p in env.providers["a"]] == [1, 3]


async def test_non_blocking_limit_fails_over_then_raises_with_wait() -> None:
    env = make_env(
        {
            "providers": [provider("a"), provider("b")],
            "limits": {"a": {"rpm": 1}, "b": {"rpm": 1}},
            **NO_CACHE,
        }
    )
    assert (await env.gateway.chat(ask("1"))).provider == "a"
    assert (await env.gateway.chat(ask("2"))).provider == "b"
    with pytest.raises(RateLimitExceeded) as info:
        await env.gateway.chat(ask("3"))
    assert 0 < info.value.wait_s <= 60
    assert env.sleep.calls == []
    assert env.metric("llm_rate_limit_limited_total", provider="a") == 2


async def test_blocking_limit_waits_on_the_injected_sleep() -> None:
    env = make_env({"providers": [provider("a")], "limits": {"a": {"rpm": 2, "blocking": True}}, **NO_CACHE})
    for i in range(3):
        await env.gateway.chat(ask(str(i)))
    assert env.sleep.calls == [pytest.approx(30.0)]  # token bucket: one request per 30 s
    assert len(env.p("a").calls) == 3


async def test_blocking_gives_up_past_max_wait() -> None:
    env = make_env(
        {
            "providers": [provider("a")],
            "limits": {"a": {"rpm": 1, "blocking": True, "max_wait": "5s"}},
            **NO_CACHE,
        }
    )
    await env.gateway.chat(ask("1"))
    with pytest.raises(RateLimitExceeded):
        await env.gateway.chat(ask("2"))


@pytest.mark.parametrize("algorithm", ["token_bucket", "sliding_window", "fixed_window"])
async def test_tpm_is_reserved_with_max_tokens_and_settled_with_usage(algorithm: str) -> None:
    env = make_env(
        {"providers": [provider("a")], "limits": {"a": {"tpm": 1000, "algorithm": algorithm}}, **NO_CACHE}
    )
    limiter = env.gateway.routes[0].limiter
    assert limiter is not None
    request = ask("x" * 40, max_tokens=900)  # reserves 14 + 900
    await env.gateway.chat(request)  # uses 10 + 5
    assert limiter.snapshot()["tpm"]["available"] == 985
    with pytest.raises(RateLimitExceeded, match="exceeds the per-minute limit"):
        await env.gateway.chat(ask("x", max_tokens=2000))


async def test_concurrent_calls_cannot_all_read_the_same_headroom() -> None:
    import asyncio

    env = make_env({"providers": [provider("a")], "limits": {"a": {"tpm": 1000}}, **NO_CACHE})
    gate = asyncio.Event()
    original = env.p("a").chat

    async def slow_chat(request):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await original(request)

    env.p("a").chat = slow_chat  # type: ignore[method-assign]
    calls = [asyncio.create_task(env.gateway.chat(ask(str(i), max_tokens=400))) for i in range(3)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert sum(isinstance(r, RateLimitExceeded) for r in results) == 1


PRICED = {
    "providers": [provider("a", model="pricey"), provider("b", model="cheap")],
    "prices": {"pricey": {"input_per_mtok": 10_000, "output_per_mtok": 10_000}},
    **NO_CACHE,
}


async def test_budget_is_checked_before_the_call_and_cheaper_routes_still_answer() -> None:
    env = make_env({**PRICED, "budgets": {"per_task": 1.0}})
    # pricey would cost up to (14 + 512) * 0.01 = 5.26 > 1.0: refused before any call
    result = await env.gateway.chat(ask("x" * 40, task="incident-1"))
    assert result.provider == "b" and env.p("a").calls == []


async def test_budget_exceeded_everywhere_is_raised_as_such() -> None:
    env = make_env(
        {"providers": [provider("a", model="pricey")], "prices": PRICED["prices"], "budgets": {"daily": 0.5}}
    )
    with pytest.raises(BudgetExceeded, match="daily budget"):
        await env.gateway.chat(ask())
    assert env.p("a").calls == []


async def test_spend_is_settled_at_the_real_cost() -> None:
    env = make_env(
        {
            "providers": [provider("a", model="pricey")],
            "prices": PRICED["prices"],
            "budgets": {"daily": 100.0},
        }
    )
    await env.gateway.chat(ask(max_tokens=5000))
    assert env.gateway.services.budget.daily_spent == pytest.approx(15 * 0.01)

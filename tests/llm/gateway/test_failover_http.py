"""End to end over real loopback HTTP with the openai_compat provider: a primary that refuses
connections, hangs past its timeout, or answers 500s; the secondary answers. The breaker runs on
an injected clock."""

from __future__ import annotations

import random
from typing import Any

from prometheus_client import CollectorRegistry

from mapekd.llm.config import LLMSettings
from mapekd.llm.gateway import Gateway, Runtime, build_gateway
from mapekd.llm.types import CallRecord

from .doubles import FakeClock, FakeSleep, ask
from .loopback import LoopbackServer, dead_url

FAST = {"connect": "1s", "read": "300ms", "total": "500ms"}


def gateway(primary: str, secondary: str, clock: FakeClock, **extra: Any) -> tuple[Gateway, list]:
    settings = LLMSettings.model_validate(
        {
            "providers": [
                {"name": "primary", "type": "openai_compat", "base_url": primary, "timeouts": FAST},
                {"name": "secondary", "type": "openai_compat", "base_url": secondary},
            ],
            "cache": {"exact": {"enabled": False}},
            **extra,
        }
    )
    records: list[CallRecord] = []
    runtime = Runtime(clock=clock, wall_clock=clock, sleep=FakeSleep(clock), rng=random.Random(0))
    return build_gateway(
        settings, registry=CollectorRegistry(), sink=records.append, runtime=runtime
    ), records


async def test_primary_refusing_connections() -> None:
    async with LoopbackServer() as secondary:
        gw, records = gateway(dead_url(), secondary.url, FakeClock())
        result = await gw.chat(ask())
        await gw.close()
    assert (result.provider, result.text) == ("secondary", "from loopback")
    assert result.model == "loop-model"
    assert records[0].error_class == "ProviderUnavailable"


async def test_primary_hanging_past_its_timeout() -> None:
    async with LoopbackServer("hang") as primary, LoopbackServer() as secondary:
        gw, records = gateway(primary.url, secondary.url, FakeClock())
        result = await gw.chat(ask())
        await gw.close()
    assert result.provider == "secondary"
    assert records[0].error_class == "ProviderTimeout"


async def test_primary_answering_500s() -> None:
    async with LoopbackServer("error") as primary, LoopbackServer() as secondary:
        gw, records = gateway(primary.url, secondary.url, FakeClock())
        result = await gw.chat(ask())
        chunks = [c.delta async for c in gw.stream(ask("stream please"))]
        await gw.close()
    assert result.provider == "secondary"
    assert "".join(chunks) == "from loopback"
    assert [r.error_class for r in records] == ["ServerError", None, "ServerError", None]


async def test_breaker_opens_half_opens_with_one_probe_and_closes() -> None:
    clock = FakeClock()
    async with LoopbackServer("error") as primary, LoopbackServer() as secondary:
        gw, _ = gateway(
            primary.url,
            secondary.url,
            clock,
            breaker={"failure_threshold": 3, "reset_timeout": "10s"},
            retries={"max_attempts": 2},
        )
        breaker = gw.routes[0].breaker
        for _ in range(3):
            assert (await gw.chat(ask())).provider == "secondary"
        assert breaker.state.value == "open" and primary.requests == 3
        await gw.chat(ask())
        assert primary.requests == 3  # open: not called at all
        clock.advance(10)
        primary.mode = "ok"
        assert breaker.state.value == "half_open"
        result = await gw.chat(ask())  # the single probe
        assert result.provider == "primary" and primary.requests == 4
        assert breaker.state.value == "closed"
        await gw.close()


async def test_failed_probe_reopens() -> None:
    clock = FakeClock()
    async with LoopbackServer("error") as primary, LoopbackServer() as secondary:
        gw, _ = gateway(
            primary.url, secondary.url, clock, breaker={"failure_threshold": 1, "reset_timeout": "10s"}
        )
        await gw.chat(ask())
        clock.advance(10)
        assert (await gw.chat(ask())).provider == "secondary"
        assert primary.requests == 2 and gw.routes[0].breaker.state.value == "open"
        await gw.close()

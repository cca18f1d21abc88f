"""Budgets over real loopback HTTP with the OpenAI fake, which names the dated snapshot that
answered (`gpt-4o-mini-2024-07-18` for `gpt-4o-mini`) as OpenAI does. Calls are priced by the
model asked for, so a price table keyed `gpt-4o-mini` charges them and the daily budget fills up;
a model with no price is charged 0 but counted, listed and warned about once."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from mapekd.knowledge.store import SqliteStore
from mapekd.llm.budget import start_of_utc_day
from mapekd.llm.config import LLMSettings
from mapekd.llm.errors import BudgetExceeded
from mapekd.llm.gateway import Gateway, build_gateway
from mapekd.llm.types import CallRecord, Usage

from ..fakes.openai_api import SNAPSHOTS, FakeOpenAI
from ..fakes.server import FakeServer
from .doubles import ask
from .loopback import LoopbackServer

PRICE_IN, PRICE_OUT = 0.15, 0.6  # gpt-4o-mini, per million tokens
ANSWER = "Hello from the fake server."  # the fake's usage: 9 prompt tokens, one per word out
CALL_COST = (9 * PRICE_IN + len(ANSWER.split()) * PRICE_OUT) / 1e6


@pytest.fixture
async def openai() -> AsyncIterator[FakeServer]:
    async with FakeServer(FakeOpenAI(key="sk-test")) as server:
        yield server


def gateway(
    server: FakeServer, records: list[CallRecord], spent_today: float = 0.0, **llm: Any
) -> tuple[Gateway, CollectorRegistry]:
    openai = {"name": "openai", "type": "openai_compat", "base_url": server.url + "/v1", "api_key": "sk-test"}
    settings = LLMSettings.model_validate(
        {
            "providers": [{**openai, "model": llm.pop("model", "gpt-4o-mini")}],
            "cache": {"exact": {"enabled": False}},
            "prices": {"gpt-4o-mini": {"input_per_mtok": PRICE_IN, "output_per_mtok": PRICE_OUT}},
            **llm,
        }
    )
    registry = CollectorRegistry()
    gw = build_gateway(settings, registry=registry, sink=records.append, spent_today=spent_today)
    return gw, registry


async def test_the_daily_budget_accumulates_for_dated_answers_and_then_refuses(openai: FakeServer) -> None:
    records: list[CallRecord] = []
    gw, registry = gateway(openai, records, budgets={"daily": 10 * CALL_COST})
    answered = 0
    with pytest.raises(BudgetExceeded, match="daily budget"):
        for _ in range(100):  # old behaviour: every call free, the budget never refuses
            await gw.chat(ask(max_tokens=8))
            answered += 1
    await gw.close()
    assert {r.model for r in records if r.error_class is None} == {"gpt-4o-mini-2024-07-18"}
    assert [r.cost for r in records[:answered]] == [pytest.approx(CALL_COST)] * answered
    assert gw.status()["budget"]["daily_spent"] == pytest.approx(answered * CALL_COST, abs=1e-6)
    assert 5 <= answered <= 10  # the worst-case hold of the next call no longer fits
    cost = registry.get_sample_value(
        "llm_cost_total", {"provider": "openai", "model": SNAPSHOTS["gpt-4o-mini"]}
    )
    assert cost == pytest.approx(answered * CALL_COST)
    assert gw.status()["unpriced_models"] == []


async def test_streams_are_priced_by_the_model_asked_for(openai: FakeServer) -> None:
    records: list[CallRecord] = []
    gw, _ = gateway(openai, records)
    text = "".join([c.delta async for c in gw.stream(ask())])
    await gw.close()
    assert text == ANSWER
    assert records[-1].cost == pytest.approx(CALL_COST)
    assert gw.status()["budget"]["total_spent"] == pytest.approx(CALL_COST, abs=1e-6)


async def test_a_dated_model_asked_for_is_priced_by_its_alias(openai: FakeServer) -> None:
    records: list[CallRecord] = []
    gw, _ = gateway(openai, records, model="gpt-4o-mini-2024-07-18")
    await gw.chat(ask())
    await gw.close()
    assert records[-1].cost == pytest.approx(CALL_COST)
    assert gw.status()["unpriced_models"] == []


async def test_a_server_naming_another_model_is_priced_by_the_one_asked_for() -> None:
    # llama.cpp's server names its model file, vLLM its path: neither is the configured name
    async with LoopbackServer() as server:
        settings = LLMSettings.model_validate(
            {
                "providers": [{"name": "hosted", "type": "openai_compat", "base_url": server.url}],
                "roles": {"plan": {"model": "hosted-8b"}},
                "prices": {"hosted-8b": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}},
            }
        )
        records: list[CallRecord] = []
        gw = build_gateway(settings, sink=records.append)
        await gw.chat(ask(role="plan"))
        await gw.close()
    assert records[-1].model == "loop-model"  # what the server said
    assert records[-1].cost == pytest.approx((7 * 1.0 + 3 * 2.0) / 1e6)  # its usage, hosted-8b's price
    assert gw.status()["unpriced_models"] == []


async def test_an_unpriced_model_is_counted_listed_and_warned_once(
    openai: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    records: list[CallRecord] = []
    with caplog.at_level(logging.WARNING, logger="mapekd.llm.pricing"):
        gw, registry = gateway(openai, records, roles={"plan": {"model": "gpt-4o"}}, budgets={"daily": 1e-9})
        for text in ("a", "b", "c"):
            await gw.chat(ask(text, role="plan"))
        await gw.close()
    assert [r.model for r in records] == ["gpt-4o-2024-08-06"] * 3
    assert all(r.cost == 0.0 for r in records)  # charged 0: the budget cannot limit it
    assert (
        registry.get_sample_value("llm_unpriced_calls_total", {"provider": "openai", "model": "gpt-4o"}) == 3
    )
    assert gw.status()["unpriced_models"] == ["openai/gpt-4o"]
    warnings = [r.getMessage() for r in caplog.records if "gpt-4o" in r.getMessage()]
    assert len(warnings) == 1 and "charged 0" in warnings[0]


async def test_a_restart_seeded_from_the_knowledge_base_keeps_the_days_spend(
    openai: FakeServer, tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "kb.db")
    now = time.time()
    yesterday = CallRecord(
        "openai", "gpt-4o-mini", "chat", Usage(9, 5), 1.0, 0.1, ts=start_of_utc_day(now) - 1
    )
    store.record_llm_call(yesterday)  # another day: not counted
    records: list[CallRecord] = []
    daily = 4.5 * CALL_COST
    gw, _ = gateway(openai, records, budgets={"daily": daily})
    for _ in range(3):
        await gw.chat(ask(max_tokens=2))
    await gw.close()
    for record in records:
        store.record_llm_call(record)

    spent = store.llm_spent_since(start_of_utc_day(time.time()))
    assert spent == pytest.approx(3 * CALL_COST)
    restarted, _ = gateway(openai, [], budgets={"daily": daily}, spent_today=spent)
    assert restarted.status()["budget"]["daily_spent"] == pytest.approx(3 * CALL_COST, abs=1e-6)
    await restarted.chat(ask(max_tokens=2))  # the 4th call of the day still fits
    with pytest.raises(BudgetExceeded):
        await restarted.chat(ask(max_tokens=2))  # the 5th does not: no reset by the restart
    await restarted.close()
    store.close()

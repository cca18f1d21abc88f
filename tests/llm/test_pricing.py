"""The price table: lookup order, dated snapshots, unpriced models reported once, free providers."""

from __future__ import annotations

import logging

import pytest

from mapekd.llm.config import ModelPrice
from mapekd.llm.pricing import PriceTable, snapshot_base
from mapekd.llm.types import Usage


def price(inp: float, out: float = 0.0) -> ModelPrice:
    return ModelPrice(input_per_mtok=inp, output_per_mtok=out)


def test_prices_per_million_tokens_provider_specific_first() -> None:
    table = PriceTable({"gpt-x": price(1.0, 4.0), "azure/gpt-x": price(2.0, 8.0)})
    assert table.cost("openai", "gpt-x", Usage(1_000_000, 500_000)) == pytest.approx(3.0)
    assert table.cost("azure", "gpt-x", Usage(1000, 1000)) == pytest.approx(0.01)
    assert table.unpriced == set()


@pytest.mark.parametrize(
    ("model", "base"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),  # OpenAI
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),  # Anthropic
        ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-v2"),  # Vertex AI
        ("gemini-x@2024-06-20", "gemini-x"),
        ("gpt-4o-mini", None),
        ("gpt-4-0613", None),  # a four-digit snapshot is no date: priced only as itself
        ("llama3.2:3b", None),
        ("model-2024", None),
        ("2024-07-18", None),  # nothing would be left
    ],
)
def test_snapshot_base(model: str, base: str | None) -> None:
    assert snapshot_base(model) == base


def test_lookup_order_exact_then_snapshot_base_provider_keys_first() -> None:
    prices = {
        "openai/gpt-4o-mini-2024-07-18": price(1),
        "gpt-4o-mini-2024-07-18": price(2),
        "openai/gpt-4o-mini": price(3),
        "gpt-4o-mini": price(4),
    }
    seen = []
    for key in list(prices):
        seen.append(PriceTable(prices).price("openai", "gpt-4o-mini-2024-07-18").input_per_mtok)
        del prices[key]
    assert seen == [1, 2, 3, 4]


def test_a_dated_key_wins_for_its_own_snapshot_only() -> None:
    table = PriceTable({"gpt-4o": price(2.5), "gpt-4o-2024-05-13": price(5.0)})
    assert table.price("openai", "gpt-4o-2024-05-13").input_per_mtok == 5.0
    assert table.price("openai", "gpt-4o-2024-08-06").input_per_mtok == 2.5


def test_an_unpriced_model_costs_0_and_is_reported_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    table = PriceTable({"gpt-4o-mini": price(0.15, 0.6)})
    with caplog.at_level(logging.WARNING, logger="mapekd.llm.pricing"):
        for _ in range(5):
            found = table.price("openai", "gpt-4o")
            assert found.unpriced and found.cost(1000, 1000) == 0.0
        table.price("claude", "claude-3-5-haiku-latest")
    assert table.unpriced == {"openai/gpt-4o", "claude/claude-3-5-haiku-latest"}
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2  # one per model, not one per call
    assert "'gpt-4o'" in warnings[0] and "llm.prices" in warnings[0]


def test_a_model_priced_at_0_is_free_on_purpose() -> None:
    table = PriceTable({"ollama/llama3.2": ModelPrice()})
    found = table.price("ollama", "llama3.2")
    assert not found.unpriced and found.cost(10**6, 10**6) == 0.0
    assert table.unpriced == set()


def test_local_and_offline_providers_are_free_and_never_reported() -> None:
    table = PriceTable({}, free_providers=["local", "canned"])
    assert not table.price("local", "SmolLM2-135M-Instruct").unpriced
    assert not table.price("canned", "offline").unpriced
    assert table.price("openai", "gpt-4o-mini").unpriced
    assert table.unpriced == {"openai/gpt-4o-mini"}


def test_a_free_provider_may_still_be_given_a_price() -> None:
    table = PriceTable({"local/smollm": price(1)}, free_providers=["local"])
    assert table.cost("local", "smollm", Usage(1_000_000, 0)) == pytest.approx(1.0)


def test_an_empty_model_holds_0_without_being_reported() -> None:
    table = PriceTable({})
    assert table.cost_of("openai", "", 1000, 1000) == 0.0
    assert table.unpriced == set()

from __future__ import annotations

import pytest

from mapekd.llm.budget import Budget
from mapekd.llm.config import BudgetSettings, ModelPrice
from mapekd.llm.errors import BudgetExceeded
from mapekd.llm.pricing import PriceTable
from mapekd.llm.types import Usage

from .doubles import FakeClock


def test_prices_per_million_tokens_provider_specific_first() -> None:
    table = PriceTable(
        {
            "gpt-x": ModelPrice(input_per_mtok=1.0, output_per_mtok=4.0),
            "azure/gpt-x": ModelPrice(input_per_mtok=2.0, output_per_mtok=8.0),
        }
    )
    assert table.cost("openai", "gpt-x", Usage(1_000_000, 500_000)) == pytest.approx(3.0)
    assert table.cost("azure", "gpt-x", Usage(1000, 1000)) == pytest.approx(0.01)
    assert table.cost("local", "smollm", Usage(999, 999)) == 0.0
    assert table.unpriced == {"local/smollm"}


def test_daily_budget_is_enforced_before_the_call_and_settled_after() -> None:
    wall = FakeClock(86400 * 100 + 10)
    budget = Budget(BudgetSettings(daily=1.0), wall_clock=wall)
    hold = budget.reserve(0.8, None)
    with pytest.raises(BudgetExceeded, match="daily budget"):
        budget.reserve(0.3, None)  # the hold counts: concurrent calls cannot overspend
    budget.settle(hold, 0.1)
    budget.settle(hold, 5.0)  # idempotent
    assert budget.daily_spent == pytest.approx(0.1)
    budget.reserve(0.9, None)
    wall.advance(86400)  # a new UTC day
    assert budget.snapshot()["daily_spent"] == 0
    budget.reserve(1.0, None)


def test_per_task_budget() -> None:
    budget = Budget(BudgetSettings(per_task=0.05), wall_clock=FakeClock())
    budget.settle(budget.reserve(0.04, "incident-7"), 0.04)
    with pytest.raises(BudgetExceeded, match="incident-7"):
        budget.reserve(0.02, "incident-7")
    budget.reserve(0.02, "incident-8")
    budget.reserve(1.0, None)  # no task: only the daily budget (unlimited here)


def test_seed_daily_restores_the_days_spend() -> None:
    budget = Budget(BudgetSettings(daily=1.0), wall_clock=FakeClock())
    budget.seed_daily(0.95)
    with pytest.raises(BudgetExceeded):
        budget.reserve(0.1, None)

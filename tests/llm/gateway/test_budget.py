from __future__ import annotations

import pytest

from mapekd.llm.budget import Budget, start_of_utc_day
from mapekd.llm.config import BudgetSettings
from mapekd.llm.errors import BudgetExceeded

from .doubles import FakeClock


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


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (1_700_000_000.5, 1_699_920_000.0),  # 2023-11-14 22:13:20.5 UTC -> 2023-11-14 00:00 UTC
        (1_699_920_000.0, 1_699_920_000.0),  # midnight itself starts its day
        (1_699_919_999.9, 1_699_833_600.0),  # a tenth of a second before: the previous day
    ],
)
def test_start_of_utc_day(now: float, start: float) -> None:
    assert start_of_utc_day(now) == start

"""Daily and per-task budgets, enforced BEFORE a call.

A call reserves its worst-case cost (estimated input + max_tokens, at its model's price) against
the day and its task, and raises BudgetExceeded if either would go over; afterwards the hold is
settled to the real cost. Holding, not just checking, keeps concurrent calls from overspending.
The day is the UTC day of the wall clock; `seed_daily` restores the day's spend after a restart
(from the knowledge base's call records since `start_of_utc_day(now)`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from mapekd.llm.config import BudgetSettings
from mapekd.llm.errors import BudgetExceeded

DAY_S = 86400
MAX_TASKS = 10_000
"""Per-task spend is kept for this many most recent tasks."""


def start_of_utc_day(now: float) -> float:
    """The Unix time of 00:00 UTC of the day `now` falls in: where the daily budget starts."""
    return float(now // DAY_S * DAY_S)


class BudgetHold:
    __slots__ = ("amount", "day", "settled", "task")

    def __init__(self, amount: float, day: int, task: str | None) -> None:
        self.amount = amount
        self.day = day
        self.task = task
        self.settled = False


class Budget:
    def __init__(self, settings: BudgetSettings, *, wall_clock: Callable[[], float]) -> None:
        self.settings = settings
        self._wall = wall_clock
        self._day = self._today()
        self.daily_spent = 0.0
        self.total_spent = 0.0
        self._tasks: OrderedDict[str, float] = OrderedDict()

    def _today(self) -> int:
        return int(self._wall() // DAY_S)

    def _roll(self) -> int:
        today = self._today()
        if today != self._day:
            self._day, self.daily_spent = today, 0.0
        return today

    def seed_daily(self, spent: float) -> None:
        """Add what today's calls cost before this process started (restart, CLI)."""
        self._roll()
        self.daily_spent += spent

    def task_spent(self, task: str) -> float:
        return self._tasks.get(task, 0.0)

    def reserve(self, estimate: float, task: str | None) -> BudgetHold:
        day = self._roll()
        daily, per_task = self.settings.daily, self.settings.per_task
        if daily is not None and self.daily_spent + estimate > daily:
            raise BudgetExceeded(
                f"daily budget {daily:.4f} would be exceeded: spent {self.daily_spent:.4f}, "
                f"this call may cost up to {estimate:.4f}"
            )
        if per_task is not None and task is not None:
            spent = self.task_spent(task)
            if spent + estimate > per_task:
                raise BudgetExceeded(
                    f"budget of task {task!r} ({per_task:.4f}) would be exceeded: spent "
                    f"{spent:.4f}, this call may cost up to {estimate:.4f}"
                )
        self._charge(day, task, estimate)
        return BudgetHold(estimate, day, task)

    def settle(self, hold: BudgetHold, actual: float) -> None:
        if hold.settled:
            return
        hold.settled = True
        self.total_spent += actual
        self._charge(hold.day, hold.task, actual - hold.amount)

    def _charge(self, day: int, task: str | None, amount: float) -> None:
        if day == self._roll():
            self.daily_spent = max(0.0, self.daily_spent + amount)
        if task is not None:
            self._tasks[task] = max(0.0, self._tasks.get(task, 0.0) + amount)
            self._tasks.move_to_end(task)
            while len(self._tasks) > MAX_TASKS:
                self._tasks.popitem(last=False)

    def snapshot(self) -> dict[str, Any]:
        self._roll()
        return {
            "daily_limit": self.settings.daily,
            "daily_spent": round(self.daily_spent, 6),
            "per_task_limit": self.settings.per_task,
            "total_spent": round(self.total_spent, 6),
            "tasks_tracked": len(self._tasks),
        }

"""Per-day series for charts, by UTC day (the day the LLM budget counts in). Days with nothing
are filled in with zeros so that a chart's time axis has no gaps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mapekd.knowledge.queries import Queries


def utc_day(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def day_range(since: float, now: float, seen: list[str]) -> list[str]:
    """Every day from `since` (or, with no bound, the first day seen) to today."""
    first = utc_day(since) if since > 0 else min((date.fromisoformat(d) for d in seen), default=utc_day(now))
    last = utc_day(now)
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


class Series(Queries):
    def incidents_per_day(self, since: float, now: float) -> list[dict[str, Any]]:
        """Incidents opened per day, split by their status now."""
        rows = self._rows(
            "SELECT date(opened_at, 'unixepoch') AS day, status, COUNT(*) AS n FROM incidents "
            "WHERE opened_at >= ? GROUP BY day, status",
            (since,),
        )

        def add(day: dict[str, Any], row: dict[str, Any]) -> None:
            day[row["status"]] = int(row["n"])

        return _per_day(rows, since, now, {"open": 0, "gave_up": 0, "resolved": 0}, add)

    def llm_per_day(self, since: float, now: float) -> list[dict[str, Any]]:
        """LLM calls (and how many were cache hits) and their cost per day."""
        rows = self._rows(
            "SELECT date(ts, 'unixepoch') AS day, COUNT(*) AS calls, SUM(cached) AS cached, "
            "SUM(cost) AS cost FROM llm_calls WHERE ts >= ? GROUP BY day",
            (since,),
        )

        def add(day: dict[str, Any], row: dict[str, Any]) -> None:
            day.update(calls=int(row["calls"]), cached=int(row["cached"]), cost=round(float(row["cost"]), 6))

        return _per_day(rows, since, now, {"calls": 0, "cached": 0, "cost": 0.0}, add)


def _per_day(
    rows: list[dict[str, Any]],
    since: float,
    now: float,
    zero: dict[str, Any],
    add: Callable[[dict[str, Any], dict[str, Any]], None],
) -> list[dict[str, Any]]:
    """One entry per day from `since` to `now`, `zero` where no row says otherwise."""
    days = {day: {"day": day, **zero} for day in day_range(since, now, [r["day"] for r in rows])}
    for row in rows:
        add(days.setdefault(row["day"], {"day": row["day"], **zero}), row)
    return sorted(days.values(), key=lambda d: str(d["day"]))

"""Per-day series for charts, by UTC day (the day the LLM budget counts in). Days with nothing
are filled in with zeros so that a chart's time axis has no gaps."""

from __future__ import annotations

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
        seen = [r["day"] for r in rows]
        days = {
            day: {"day": day, "open": 0, "gave_up": 0, "resolved": 0} for day in day_range(since, now, seen)
        }
        for row in rows:
            days.setdefault(row["day"], {"day": row["day"], "open": 0, "gave_up": 0, "resolved": 0})
            days[row["day"]][row["status"]] = int(row["n"])
        return sorted(days.values(), key=lambda d: d["day"])

    def llm_per_day(self, since: float, now: float) -> list[dict[str, Any]]:
        """LLM calls (and how many were cache hits) and their cost per day."""
        rows = self._rows(
            "SELECT date(ts, 'unixepoch') AS day, COUNT(*) AS calls, SUM(cached) AS cached, "
            "SUM(cost) AS cost FROM llm_calls WHERE ts >= ? GROUP BY day",
            (since,),
        )
        seen = [r["day"] for r in rows]
        days = {
            day: {"day": day, "calls": 0, "cached": 0, "cost": 0.0} for day in day_range(since, now, seen)
        }
        for row in rows:
            days[row["day"]] = {
                "day": row["day"],
                "calls": int(row["calls"]),
                "cached": int(row["cached"]),
                "cost": round(float(row["cost"]), 6),
            }
        return sorted(days.values(), key=lambda d: d["day"])

"""Cron expressions of the configuration, read by APScheduler's CronTrigger."""

from __future__ import annotations

from datetime import datetime

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

MAINTENANCE_JOB = "maintenance"


def cron_trigger(expression: str) -> CronTrigger:
    """A trigger for a 5-field crontab expression (minute hour day month weekday) in the host's
    time zone; ValueError saying what is wrong otherwise."""
    if len(expression.split()) != 5:
        raise ValueError(f"{expression!r}: a cron expression has 5 fields (minute hour day month weekday)")
    try:
        return CronTrigger.from_crontab(expression)
    except ValueError as exc:
        raise ValueError(f"{expression!r}: {exc}") from None


def next_fire(expression: str, after: datetime) -> datetime | None:
    """When a job on `expression` runs next after `after` (an aware datetime): what status shows,
    and what a test asks instead of waiting for the clock."""
    at: datetime | None = cron_trigger(expression).get_next_fire_time(None, after)
    return at

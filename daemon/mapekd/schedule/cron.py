"""Cron expressions of the configuration, read by APScheduler's CronTrigger."""

from __future__ import annotations

import re
from datetime import datetime

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

MAINTENANCE_JOB = "maintenance"


def cron_trigger(expression: str) -> CronTrigger:
    """A trigger for a 5-field crontab expression (minute hour day month weekday) in the host's
    time zone; ValueError saying what is wrong otherwise."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{expression!r}: a cron expression has 5 fields (minute hour day month weekday)")
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=_weekday_names(weekday)
        )
    except ValueError as exc:
        raise ValueError(f"{expression!r}: {exc}") from None


def _weekday_names(field: str) -> str:
    """Crontab weekdays (0 or 7 Sunday, 1 Monday ...) as names: APScheduler 3.x counts from
    Monday = 0, so `0 4 * * 0` read as it stands would run on Mondays."""
    if "/" in field and field != "*":
        raise ValueError("a step in the weekday field is not supported: list the days (e.g. 1,3,5)")
    if any(int(n) > 7 for n in re.findall(r"\d+", field)):
        raise ValueError("weekdays are 0-7 (0 and 7 are Sunday) or names (sun, mon, ...)")
    return _WEEKDAY_NUMBER.sub(lambda m: CRONTAB_WEEKDAYS[int(m.group())], field)


CRONTAB_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NUMBER = re.compile(r"\b[0-7]\b")


def next_fire(expression: str, after: datetime) -> datetime | None:
    """When a job on `expression` runs next after `after` (an aware datetime): what status shows,
    and what a test asks instead of waiting for the clock."""
    at: datetime | None = cron_trigger(expression).get_next_fire_time(None, after)
    return at

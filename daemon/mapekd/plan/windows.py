"""Maintenance windows: when a medium-risk remedy may act without a person.

A window opens at each fire time of its cron expression (APScheduler's CronTrigger, which also
answers "when does the next one open") and stays open for its duration. Every function takes the
time as an argument: nothing here reads the clock, so the policy is tested at any hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from mapekd.config.settings import MaintenanceWindow


_JUST_AFTER = timedelta(microseconds=1)


def trigger_of(window: MaintenanceWindow) -> CronTrigger:
    """The window's trigger; ValueError (a config error at its key) for a bad expression or zone."""
    try:
        return CronTrigger.from_crontab(window.cron, timezone=window.timezone)
    except (ValueError, LookupError) as exc:  # LookupError: an unknown time zone
        raise ValueError(f"invalid maintenance window {window.cron!r}: {exc}") from None


class Windows:
    def __init__(self, windows: Sequence[MaintenanceWindow]) -> None:
        self._windows = [(trigger_of(w), timedelta(seconds=w.duration)) for w in windows]

    def __bool__(self) -> bool:
        return bool(self._windows)

    def open_at(self, now: datetime) -> bool:
        """Whether a window is open at `now` (timezone-aware)."""
        for trigger, duration in self._windows:
            # Open when it opened within (now - duration, now]: the first opening after
            # now - duration is the one to look at, and it is open unless it is still to come.
            opened = trigger.get_next_fire_time(None, now - duration + _JUST_AFTER)
            if opened is not None and opened <= now:
                return True
        return False

    def next_start(self, now: datetime) -> datetime | None:
        """When the next window opens after `now` (None: never again)."""
        starts = [t.get_next_fire_time(None, now) for t, _ in self._windows]
        found = [s for s in starts if s is not None]
        return min(found) if found else None

    def end_of_next(self, now: datetime) -> datetime | None:
        """When the window opening next after `now` closes: how long a deferral may wait."""
        ends = []
        for trigger, duration in self._windows:
            start = trigger.get_next_fire_time(None, now)
            if start is not None:
                ends.append(start + duration)
        return min(ends) if ends else None

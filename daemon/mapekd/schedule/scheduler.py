"""The daemon's clock: an AsyncIOScheduler on the running loop with one interval job per check
group and a cron job for maintenance. Jobs never overlap themselves (max_instances=1) and runs
missed while the loop was busy collapse into one (coalesce). A job's exception or a missed run
becomes a logged event; the scheduler and every other job keep going."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from mapekd.schedule.cron import MAINTENANCE_JOB, cron_trigger
from mapekd.schedule.groups import every, group_id

log = logging.getLogger("mapekd.schedule")
MAINTENANCE_GRACE_S = 3600
"""A maintenance run late by up to this (the host was suspended, the loop busy) still runs."""


class Schedule:
    def __init__(
        self,
        collect_group: Callable[[float], Awaitable[None]],
        maintain: Callable[[], Awaitable[object]],
    ) -> None:
        self._collect_group = collect_group
        self._maintain = maintain
        quiet = logging.getLogger("mapekd.schedule.apscheduler")
        quiet.setLevel(logging.ERROR)  # its warnings are the structured events of _on_event
        self._scheduler = AsyncIOScheduler(job_defaults={"max_instances": 1, "coalesce": True}, logger=quiet)
        self._scheduler.add_listener(
            self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )

    def start(self, intervals: Iterable[float], maintenance: str) -> None:
        """Schedule and start on the running loop; every group's first run is at once."""
        self.apply(intervals, maintenance)
        self._scheduler.start()

    def apply(self, intervals: Iterable[float], maintenance: str) -> None:
        """Make the jobs match the configuration (a reload): groups of vanished intervals go,
        new ones start at once, kept ones keep their times; the maintenance cron is replaced."""
        wanted = {group_id(interval): interval for interval in intervals}
        for job in self._scheduler.get_jobs():
            if job.id != MAINTENANCE_JOB and job.id not in wanted:
                job.remove()
        for job_id, interval in wanted.items():
            if self._scheduler.get_job(job_id) is None:
                self._scheduler.add_job(
                    self._collect_group,
                    IntervalTrigger(seconds=interval),
                    args=[interval],
                    id=job_id,
                    name=every(interval),
                    next_run_time=datetime.now().astimezone(),
                    misfire_grace_time=max(1, round(interval)),
                )
        self._scheduler.add_job(
            self._maintain,
            cron_trigger(maintenance),
            id=MAINTENANCE_JOB,
            name=f"cron {maintenance}",
            replace_existing=True,
            misfire_grace_time=MAINTENANCE_GRACE_S,
        )

    def pause(self) -> None:
        """No job starts from now on; those running go on."""
        self._scheduler.pause()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def next_runs(self) -> list[dict[str, Any]]:
        """Each job's id, trigger and next run (Unix time; None while paused)."""
        return [
            {
                "id": job.id,
                "trigger": job.name,
                "next_run_at": job.next_run_time.timestamp() if job.next_run_time else None,
            }
            for job in self._scheduler.get_jobs()
        ]

    def _on_event(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_ERROR:
            exc = getattr(event, "exception", None)
            if isinstance(exc, asyncio.CancelledError):
                return  # a shutdown cancelled the run on purpose
            log.error(
                "scheduled job failed; it runs again at its next time",
                extra={
                    "event": {
                        "event": "job_error",
                        "job": event.job_id,
                        "error": f"{type(exc).__name__}: {exc}",
                        "traceback": getattr(event, "traceback", None),
                    }
                },
            )
        elif event.code == EVENT_JOB_MISSED:
            log.warning(
                "scheduled run missed (the loop was busy); the next one is on time",
                extra={"event": {"event": "job_missed", "job": event.job_id}},
            )
        else:
            log.warning(
                "scheduled run skipped: the previous run of this job is still going",
                extra={"event": {"event": "job_overrun", "job": event.job_id}},
            )

"""The scheduler on the running loop: a group's job that raises is a logged event and runs again
at its next time, beside the other jobs; a reload's new intervals replace the old jobs; each
job's next run is listed; the maintenance cron's next fire time follows from a given time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest

from mapekd.schedule.cron import cron_trigger, next_fire
from mapekd.schedule.scheduler import Schedule


class Calls:
    def __init__(self, fail_first: float | None = None) -> None:
        self.by_interval: dict[float, int] = {}
        self.maintenance = 0
        self.fail_first = fail_first

    async def group(self, interval: float) -> None:
        self.by_interval[interval] = self.by_interval.get(interval, 0) + 1
        if interval == self.fail_first and self.by_interval[interval] == 1:
            raise RuntimeError("collector exploded")

    async def maintain(self) -> None:
        self.maintenance += 1


@pytest.fixture
async def schedules() -> AsyncIterator[list[Schedule]]:
    started: list[Schedule] = []
    yield started
    for schedule in started:
        schedule.shutdown()
    await asyncio.sleep(0)  # the shutdown runs on the loop


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_a_failing_job_is_logged_and_runs_again_beside_the_others(
    schedules: list[Schedule], caplog: pytest.LogCaptureFixture
) -> None:
    calls = Calls(fail_first=0.2)
    schedule = Schedule(calls.group, calls.maintain)
    schedules.append(schedule)
    with caplog.at_level(logging.ERROR, logger="mapekd.schedule"):
        schedule.start([0.2, 0.3], "30 3 * * *")
        await until(lambda: calls.by_interval.get(0.2, 0) >= 3 and calls.by_interval.get(0.3, 0) >= 3)
    events = [getattr(r, "event", {}) for r in caplog.records]
    errors = [e for e in events if e.get("event") == "job_error"]
    assert [(e["job"], e["error"]) for e in errors] == [("checks@0.2s", "RuntimeError: collector exploded")]
    assert "in group" in errors[0]["traceback"]  # where it was raised
    assert calls.maintenance == 0  # nightly, not now


async def test_a_reload_replaces_the_groups_and_each_job_lists_its_next_run(
    schedules: list[Schedule],
) -> None:
    calls = Calls()
    schedule = Schedule(calls.group, calls.maintain)
    schedules.append(schedule)
    schedule.start([0.2], "30 3 * * *")
    await until(lambda: calls.by_interval.get(0.2, 0) >= 2)
    runs = {job["id"]: job for job in schedule.next_runs()}
    assert set(runs) == {"checks@0.2s", "maintenance"}
    assert (
        runs["checks@0.2s"]["trigger"] == "every 0.2s" and runs["maintenance"]["trigger"] == "cron 30 3 * * *"
    )
    expected = next_fire("30 3 * * *", datetime.now().astimezone())
    assert expected is not None and runs["maintenance"]["next_run_at"] == expected.timestamp()
    assert time.time() - 0.1 <= runs["checks@0.2s"]["next_run_at"] <= time.time() + 0.3

    schedule.apply([0.3, 60.0], "0 4 * * 0")
    await until(lambda: calls.by_interval.get(60.0, 0) >= 1)  # a new group runs at once
    stopped_at = calls.by_interval[0.2]
    await until(lambda: calls.by_interval.get(0.3, 0) >= 3)
    assert calls.by_interval[0.2] == stopped_at, "the old interval's job is gone"
    runs = {job["id"]: job for job in schedule.next_runs()}
    assert set(runs) == {"checks@0.3s", "checks@60s", "maintenance"}
    assert runs["maintenance"]["trigger"] == "cron 0 4 * * 0"
    assert runs["checks@60s"]["next_run_at"] >= time.time() + 55  # ran once, next in a minute


def test_the_next_maintenance_follows_from_a_given_time() -> None:
    noon = datetime(2026, 1, 14, 12, 0).astimezone()  # a Wednesday, in the host's time zone
    assert next_fire("30 3 * * *", noon) == datetime(2026, 1, 15, 3, 30).astimezone()
    # Weekdays as crontab counts them (0 and 7 Sunday), not as APScheduler 3.x does (0 Monday).
    assert next_fire("0 4 * * 0", noon) == datetime(2026, 1, 18, 4, 0).astimezone()
    assert next_fire("0 4 * * 7", noon) == datetime(2026, 1, 18, 4, 0).astimezone()
    assert next_fire("0 4 * * 1-2", noon) == datetime(2026, 1, 19, 4, 0).astimezone()  # Monday
    assert next_fire("0 4 * * sat,5", noon) == datetime(2026, 1, 16, 4, 0).astimezone()  # Friday
    assert next_fire("*/15 * * * *", noon) == noon  # a time on the schedule is its own next fire


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("30 3 * *", "a cron expression has 5 fields"),
        ("30 3 * * * *", "a cron expression has 5 fields"),
        ("61 3 * * *", "'61 3 * * *': "),
        ("30 3 * * funday", "'30 3 * * funday': "),
        ("30 3 * * 8", "weekdays are 0-7"),
        ("30 3 * * 1-5/2", "a step in the weekday field is not supported"),
    ],
)
def test_an_invalid_cron_expression_is_refused(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        cron_trigger(expression)

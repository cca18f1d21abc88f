"""Freshness: each check group judged against its own interval; a reload keeps the groups it
keeps and gives a new group a full allowance."""

from __future__ import annotations

from mapekd.schedule.freshness import Freshness, Late, ready_allowance


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_readiness_allows_two_intervals_and_at_least_ten_seconds_more_than_one() -> None:
    assert [ready_allowance(i) for i in (0.5, 1.0, 10.0, 30.0)] == [10.5, 11.0, 20.0, 60.0]


def test_each_group_is_late_against_its_own_interval() -> None:
    clock = Clock()
    fresh = Freshness(clock)
    fresh.expect([1.0, 30.0])
    assert fresh.last_at is None and fresh.late(ready_allowance) == []
    clock.now += 11.5
    fresh.completed(30.0)
    assert fresh.late(ready_allowance) == [Late("checks@1s", 11.5, 11.0)]  # hung: the 30 s one is fine
    fresh.completed(1.0)
    assert fresh.late(ready_allowance) == [] and fresh.last_at is not None


def test_a_reload_keeps_kept_groups_and_starts_new_ones_afresh() -> None:
    clock = Clock()
    fresh = Freshness(clock)
    fresh.expect([1.0, 30.0])
    clock.now += 20.0
    fresh.expect([1.0, 5.0])  # 30 s removed, 5 s added
    assert [late.group for late in fresh.late(ready_allowance)] == ["checks@1s"]  # still 20 s old
    clock.now += 15.5
    fresh.completed(1.0)
    assert fresh.late(ready_allowance) == [Late("checks@5s", 15.5, 15.0)]

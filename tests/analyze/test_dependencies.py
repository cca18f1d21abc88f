"""An incident of a check is attributed to the nearest dependency (direct or further up) with an
active incident, which is known as given up once it is; a resolved one attributes nothing."""

from __future__ import annotations

from mapekd.analyze.dependencies import Cause, Dependencies


def world() -> tuple[Dependencies, dict[int, str]]:
    status: dict[int, str] = {}
    deps = Dependencies({"web": ["db"], "db": ["disk"], "disk": [], "cron": []}, status.get)
    return deps, status


def test_the_nearest_failing_dependency_is_the_cause() -> None:
    deps, status = world()
    assert deps.cause_of("web") is None
    deps.opened("disk", 1)
    status[1] = "open"
    assert deps.cause_of("web") == Cause(1, "disk", gave_up=False)  # two levels up
    deps.opened("db", 2)
    status[2] = "open"
    assert deps.cause_of("web") == Cause(2, "db", gave_up=False)
    assert deps.cause_of("db") == Cause(1, "disk", gave_up=False)
    assert deps.cause_of("disk") is None and deps.cause_of("cron") is None


def test_a_given_up_dependency_is_told_and_a_resolved_one_is_no_cause() -> None:
    deps, status = world()
    deps.opened("db", 7)
    status[7] = "gave_up"
    assert deps.cause_of("web") == Cause(7, "db", gave_up=True)
    del status[7]  # resolved
    assert deps.cause_of("web") is None


def test_only_checks_something_depends_on_are_remembered() -> None:
    deps, _ = world()
    deps.opened("cron", 3)
    deps.opened("web", 4)
    assert deps._open == {}

"""Check groups: checks by interval (default daemon.interval), and one group never collected
twice at once, with what is asked meanwhile collected once more, together, right after."""

from __future__ import annotations

import asyncio

import pytest

from mapekd.config.settings import Settings
from mapekd.schedule.groups import GroupRun, check_groups, group_id


def test_checks_are_grouped_by_their_interval_or_the_daemons() -> None:
    settings = Settings.model_validate(
        {
            "daemon": {"interval": "30s"},
            "checks": [
                {"name": "host", "type": "host"},
                {"name": "web", "type": "http", "url": "http://127.0.0.1:1/", "interval": "1s"},
                {"name": "api", "type": "http", "url": "http://127.0.0.1:2/", "interval": "1000ms"},
                {"name": "disk", "type": "host", "interval": "5m"},
            ],
        }
    )
    assert check_groups(settings) == {1.0: ("web", "api"), 30.0: ("host",), 300.0: ("disk",)}
    assert [group_id(i) for i in check_groups(settings)] == ["checks@1s", "checks@30s", "checks@300s"]


async def test_a_busy_group_collects_what_was_asked_meanwhile_once_after() -> None:
    batches: list[frozenset[str]] = []
    release = asyncio.Event()

    async def collect(names: frozenset[str]) -> None:
        batches.append(names)
        if len(batches) == 1:
            await release.wait()

    group = GroupRun(collect)
    first = asyncio.create_task(group.run(["web", "api"]))
    await asyncio.sleep(0)
    assert batches == [frozenset({"web", "api"})] and group.task is first
    await group.run(["web"])  # an event during the collection: returns at once
    await group.run(["api"])
    await group.run(["web"])
    assert len(batches) == 1, "a group is not collected twice at once"
    release.set()
    await first
    assert batches == [frozenset({"web", "api"}), frozenset({"web", "api"})]  # one more, together
    assert group.task is None


async def test_a_failed_collection_raises_and_the_group_runs_again() -> None:
    calls: list[frozenset[str]] = []

    async def collect(names: frozenset[str]) -> None:
        calls.append(names)
        if len(calls) == 1:
            raise RuntimeError("broken")

    group = GroupRun(collect)
    with pytest.raises(RuntimeError, match="broken"):  # it reaches the job: an error event
        await group.run(["web"])
    assert group.task is None
    await group.run(["web"])
    assert calls == [frozenset({"web"}), frozenset({"web"})]

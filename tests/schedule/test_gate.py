"""The collection gate: a reload waits until no collection is inside, not for a group's task to
end (that task may go on to its next collection, which waits at the closed gate: waiting for
the task would never end); a shutdown cancels what is still inside after its grace."""

from __future__ import annotations

import asyncio

from mapekd.schedule.gate import CollectionGate
from mapekd.schedule.groups import GroupRun


async def test_a_reload_swaps_between_two_collections_of_one_group_task() -> None:
    gate = CollectionGate()
    engine = ["old"]
    seen: list[tuple[frozenset[str], str]] = []
    release = asyncio.Event()

    async def collect(names: frozenset[str]) -> None:
        async with gate.passage():
            seen.append((names, engine[0]))
            if len(seen) == 1:
                await release.wait()

    group = GroupRun(collect)
    job = asyncio.create_task(group.run(["web"]))
    await asyncio.sleep(0)
    await group.run(["web"])  # asked during the collection: once more right after it
    swapped = asyncio.Event()

    async def reload() -> None:
        async with gate.closed():
            engine[0] = "new"
            swapped.set()
            await asyncio.sleep(0.05)  # the group's next collection waits meanwhile

    reloading = asyncio.create_task(reload())
    await asyncio.sleep(0.01)
    assert not swapped.is_set(), "a collection is inside: the reload waits"
    release.set()
    async with asyncio.timeout(5):
        await swapped.wait()  # while the group's task is still running, at the gate
        assert not job.done()
        await asyncio.gather(reloading, job)
    assert seen == [(frozenset({"web"}), "old"), (frozenset({"web"}), "new")]


async def test_a_shutdown_cancels_what_is_still_inside_after_the_grace() -> None:
    gate = CollectionGate()

    async def stuck() -> None:
        async with gate.passage():
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await asyncio.sleep(0)
    assert await gate.drain(0.1) == [task] and task.cancelled()
    assert await gate.drain(0.1) == []  # nothing inside any more

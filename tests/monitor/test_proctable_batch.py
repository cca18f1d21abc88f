"""Blocking /proc work handed in during one turn of the event loop runs in one worker thread;
each caller gets its own result or its own exception."""

from __future__ import annotations

import asyncio
import threading

import pytest

from mapekd.monitor.proctable import ProcessTable


async def test_work_of_one_turn_shares_one_worker_thread_and_keeps_its_outcome() -> None:
    table = ProcessTable()
    threads: list[int] = []

    def work(value: int) -> int:
        threads.append(threading.get_ident())
        if value == 2:
            raise ValueError("the second one fails")
        return value * 10

    outcomes = await asyncio.gather(
        *(table.in_worker(lambda v=v: work(v)) for v in (1, 2, 3)), return_exceptions=True
    )

    assert outcomes[0] == 10 and outcomes[2] == 30
    assert isinstance(outcomes[1], ValueError)
    assert len(set(threads)) == 1 and threads[0] != threading.get_ident()  # one hop, off the loop


async def test_a_caller_that_gave_up_does_not_disturb_the_others() -> None:
    table = ProcessTable()
    release = threading.Event()

    def slow() -> str:
        release.wait(5)
        return "slow"

    impatient = asyncio.ensure_future(table.in_worker(slow))
    patient = asyncio.ensure_future(table.in_worker(lambda: "patient"))
    await asyncio.sleep(0.05)
    impatient.cancel()
    release.set()
    assert await patient == "patient"
    with pytest.raises(asyncio.CancelledError):
        await impatient

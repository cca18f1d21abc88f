"""Blocking work of the checks runs in daemon threads, one call per check: a stuck call stalls
neither the others nor the interpreter's exit; each caller gets its own outcome."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import pytest

from mapekd.monitor.proctable import ProcessTable
from mapekd.monitor.workers import DaemonWorkers


async def test_each_caller_gets_its_own_outcome_off_the_event_loop() -> None:
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
    assert threading.get_ident() not in threads


async def test_a_stuck_call_does_not_stall_the_others() -> None:
    table = ProcessTable()
    release = threading.Event()
    stuck = asyncio.ensure_future(table.in_worker(lambda: release.wait(30)))
    await asyncio.sleep(0.05)  # it has started, and blocks its thread

    started = time.monotonic()
    answers = await asyncio.wait_for(asyncio.gather(*(table.in_worker(lambda: "free") for _ in range(3))), 10)

    assert answers == ["free"] * 3 and time.monotonic() - started < 10
    assert not stuck.done()
    release.set()
    assert await stuck is True


async def test_threads_are_bounded_and_queued_work_waits_for_a_free_one() -> None:
    workers = DaemonWorkers(2)
    release = threading.Event()
    blocked = [asyncio.ensure_future(workers.run(lambda: release.wait(30))) for _ in range(2)]
    await asyncio.sleep(0.05)
    queued = asyncio.ensure_future(workers.run(lambda: "ran"))
    await asyncio.sleep(0.1)

    assert workers.threads == 2 and not queued.done()
    release.set()
    assert await asyncio.wait_for(queued, 10) == "ran"
    await asyncio.gather(*blocked)


async def test_a_caller_that_gave_up_does_not_disturb_the_others() -> None:
    workers = DaemonWorkers(1)
    release = threading.Event()
    ran: list[str] = []

    def slow() -> str:
        release.wait(5)
        return "slow"

    impatient = asyncio.ensure_future(workers.run(slow))
    abandoned = asyncio.ensure_future(workers.run(lambda: ran.append("abandoned")))
    patient = asyncio.ensure_future(workers.run(lambda: "patient"))
    await asyncio.sleep(0.05)
    impatient.cancel()
    abandoned.cancel()  # still queued: it never runs
    release.set()

    assert await asyncio.wait_for(patient, 10) == "patient"
    assert ran == []
    with pytest.raises(asyncio.CancelledError):
        await impatient


def test_a_stuck_call_does_not_hold_up_the_interpreters_exit() -> None:
    script = (
        "import asyncio, threading\n"
        "from mapekd.monitor.workers import DaemonWorkers\n"
        "async def main():\n"
        "    workers = DaemonWorkers(1)\n"
        "    try:\n"
        "        await asyncio.wait_for(workers.run(threading.Event().wait), 0.2)\n"
        "    except TimeoutError:\n"
        "        print('gave up', flush=True)\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)

    assert done.returncode == 0 and done.stdout == "gave up\n"


async def test_idle_threads_end_and_the_pool_starts_one_again_when_work_comes() -> None:
    workers = DaemonWorkers(2, name="mapekd-test-idle")
    workers.idle_exit_s = 0.2
    assert await workers.run(lambda: 1) == 1
    assert workers.threads == 1

    deadline = time.monotonic() + 10
    while workers.threads and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert workers.threads == 0, "an idle thread of a discarded check's pool must end"
    assert not [t for t in threading.enumerate() if t.name == "mapekd-test-idle"]

    assert await workers.run(lambda: 2) == 2, "a pool whose threads ended serves again"

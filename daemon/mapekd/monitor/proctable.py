"""One process-table scan per cycle, shared by every process check that matches by name or
command line (a scan reads /proc for every process on the host: doing it once per check would
multiply the loop's cost by the number of checks)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from mapekd.monitor.procstat import Listed, scan

T = TypeVar("T")
Work = tuple[Callable[[], Any], "asyncio.Future[Any]"]


class ProcessTable:
    """A lazily taken snapshot of the live processes (the daemon itself and zombies excluded).

    `invalidate()` at the start of each cycle (and before a verification) marks it stale; the first
    check that needs it then scans, the others reuse that scan. Thread-safe: checks read /proc in
    worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[Listed] | None = None
        self._want_cmdline = False
        self._batch: list[Work] = []

    def need_cmdline(self) -> None:
        """A check matching by command line exists: scans read cmdlines too (they cost more)."""
        self._want_cmdline = True

    def invalidate(self) -> None:
        with self._lock:
            self._entries = None

    def entries(self) -> list[Listed]:
        with self._lock:
            if self._entries is None:
                self._entries = self._scan()
            return self._entries

    async def in_worker(self, work: Callable[[], T]) -> T:
        """Run blocking /proc work in a worker thread, together with the work the other process
        checks hand in during the same turn of the event loop (a cycle starts them all at once):
        one thread hop per cycle instead of one per check (about 0.1 ms of CPU each). Call from
        the event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._batch.append((work, future))
        if len(self._batch) == 1:
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        done = asyncio.ensure_future(asyncio.to_thread(_run_all, batch))
        done.add_done_callback(lambda task: _settle(batch, task))

    def _scan(self) -> list[Listed]:
        own_pid = os.getpid()
        return [listed for listed in scan(self._want_cmdline) if listed.pid != own_pid]


def _run_all(batch: list[Work]) -> list[tuple[Any, BaseException | None]]:
    outcomes: list[tuple[Any, BaseException | None]] = []
    for work, _ in batch:
        try:
            outcomes.append((work(), None))
        except Exception as exc:  # handed to that work's caller, the others go on
            outcomes.append((None, exc))
    return outcomes


def _settle(batch: list[Work], task: asyncio.Future[list[tuple[Any, BaseException | None]]]) -> None:
    """Hand each caller its own outcome (the batch's own failure, not expected: _run_all catches)."""
    for i, (_, future) in enumerate(batch):
        if future.done():  # its caller gave up (timed out)
            continue
        if task.cancelled():
            future.cancel()
        elif (failure := task.exception()) is not None:
            future.set_exception(failure)
        elif (error := task.result()[i][1]) is not None:
            future.set_exception(error)
        else:
            future.set_result(task.result()[i][0])

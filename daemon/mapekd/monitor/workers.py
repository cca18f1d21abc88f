"""A few daemon threads for a check's blocking work (/proc reads, pidfiles, statvfs, systemctl).

Not asyncio.to_thread: the default executor's threads are joined at interpreter exit, so one
read stuck in the kernel (a hung network mount, a process whose memory map is locked) would hang
the daemon's shutdown. Daemon threads are abandoned at exit instead. The pool is bounded: a stuck
call keeps its thread, and once every thread is stuck new work waits in the queue until its
caller's deadline gives up on it; a caller that gave up never has its work started.

Work handed in together (a cycle's process checks, all at once) is served by one thread, one
job after the other: waking a thread per job costs more CPU than the jobs (the GIL makes them
take turns anyway). A second thread is started only when a job has waited STALL_S without any
thread taking it: one check's stall never stalls another for longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
STALL_S = 0.05
"""How long a job may wait for a busy thread before another thread is started for it."""
IDLE_EXIT_S = 60.0
"""A thread with nothing to do for this long ends: the pools of checks a reload discarded do not
keep their threads, and a busy pool keeps its own."""
_Job = tuple[Callable[[], Any], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class DaemonWorkers:
    def __init__(self, max_threads: int, name: str = "mapekd-worker") -> None:
        self._max_threads = max_threads
        self._name = name
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._waiting = 0
        """Jobs queued and not yet taken by a thread."""
        self._idle = 0
        self.idle_exit_s = IDLE_EXIT_S

    @property
    def threads(self) -> int:
        return self._threads

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in one of the pool's threads; cancelling the await abandons it (a started
        call runs on, its result is dropped)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            self._waiting += 1
            if self._threads == 0:
                self._start_thread()
            elif self._waiting > self._idle:  # every thread busy: one more only if this waits
                loop.call_later(STALL_S, self._relieve)
        self._jobs.put((work, loop, future))
        return await future

    def _relieve(self) -> None:
        """A job still waits with no thread free to take it: start one (within the bound)."""
        with self._lock:
            if self._waiting > self._idle:
                self._start_thread()

    def _start_thread(self) -> None:
        """Call with the lock held."""
        if self._threads < self._max_threads:
            self._threads += 1
            threading.Thread(target=self._serve, name=self._name, daemon=True).start()

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            try:
                work, loop, future = self._jobs.get(timeout=self.idle_exit_s)
            except queue.Empty:
                with self._lock:
                    if self._waiting == 0:  # a job counted in _waiting is queued: stay for it
                        self._idle -= 1
                        self._threads -= 1
                        return
                    self._idle -= 1
                continue
            with self._lock:
                self._idle -= 1
                self._waiting -= 1
            if future.cancelled():  # its caller gave up while it waited
                continue
            try:
                outcome: tuple[Any, BaseException | None] = (work(), None)
            except Exception as exc:  # handed to the caller, the thread serves on
                outcome = (None, exc)
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
                loop.call_soon_threadsafe(_settle, future, outcome)


def _settle(future: asyncio.Future[Any], outcome: tuple[Any, BaseException | None]) -> None:
    if future.done():  # cancelled by its caller
        return
    result, error = outcome
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)

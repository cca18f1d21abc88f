"""One process-table scan per cycle, shared by every process check that matches by name or
command line (a scan lists every process on the host: doing it once per check would multiply the
loop's cost by the number of checks); and the worker threads the process checks' blocking work
runs in, one call per check so that one check's stall never stalls another's."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

from mapekd.errors import CheckError
from mapekd.monitor.procstat import Listed, scan
from mapekd.monitor.workers import DaemonWorkers

T = TypeVar("T")
MAX_WORKERS = 8
"""Threads for the process checks' blocking work: a stuck check holds one (its next collection
is refused while it is stuck, see process_observe.Observer), the others go on."""
SCAN_WAIT_S = 10.0
"""How long a check waits for a scan another check is taking before it reports an error."""


class ProcessTable:
    """A lazily taken snapshot of the live processes (the daemon itself and zombies excluded).

    `invalidate()` at the start of each cycle (and before a verification) marks it stale; the first
    check that needs it then scans, the others reuse that scan. Thread-safe: checks read in
    worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[Listed] | None = None
        self._want_cmdline = False
        self._want_uid = False
        self._workers = DaemonWorkers(MAX_WORKERS, name="mapekd-process")

    def need_cmdline(self) -> None:
        """A check matching by command line exists: scans read cmdlines too (they cost more)."""
        self._want_cmdline = True

    def need_uid(self) -> None:
        """A check narrowed to one user's processes scans: scans read real uids too."""
        self._want_uid = True

    def invalidate(self) -> None:
        with self._lock:
            self._entries = None

    def entries(self) -> list[Listed]:
        if not self._lock.acquire(timeout=SCAN_WAIT_S):  # a scan stuck in the kernel
            raise CheckError(f"the process table scan took longer than {SCAN_WAIT_S:g}s")
        try:
            if self._entries is None:
                own_pid = os.getpid()
                self._entries = [e for e in scan(self._want_cmdline, self._want_uid) if e.pid != own_pid]
            return self._entries
        finally:
            self._lock.release()

    async def in_worker(self, work: Callable[[], T]) -> T:
        """`work()` in a worker thread of its own (daemon threads: never joined at exit)."""
        return await self._workers.run(work)

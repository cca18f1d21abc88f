"""How a watched process ended, where the kernel tells it: an exit status or the killing signal.

A process check sees a death through the pidfd it watches (monitor.pidwatch). Linux >= 6.15 keeps
the exit status with the pidfd once the process has been reaped, whoever its parent was
(PIDFD_GET_INFO with PIDFD_INFO_EXIT), so the pidfd is kept here, bounded, and asked when the
evidence is gathered: by then the parent has reaped it. For the daemon's own children the status
is also known from the daemon's own wait (execute.child) and recorded with `record_returncode`, which
covers older kernels. The ExitBook is written on the event loop and read from the evidence
worker thread, hence its lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass

from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.bounds import keep_newest

PIDFD_INFO_EXIT = 1 << 3
PIDFD_INFO_SIZE = 64
"""struct pidfd_info as Linux 6.15 published it; later kernels accept this first version."""
PIDFD_GET_INFO = (3 << 30) | (PIDFD_INFO_SIZE << 16) | (0xFF << 8) | 11
"""_IOWR(PIDFS_IOCTL_MAGIC, 11, struct pidfd_info)."""
_EXIT_CODE_AT = 60
MAX_DEATHS = 32
"""Deaths remembered (each may hold a pidfd until asked)."""


def pidfd_exit_status(pidfd: int) -> int | None:
    """The wait status (as waitpid gives it) of the reaped process `pidfd` refers to; None while
    it runs or awaits its reaping, or where the kernel does not tell (before Linux 6.15)."""
    info = bytearray(PIDFD_INFO_SIZE)
    struct.pack_into("<Q", info, 0, PIDFD_INFO_EXIT)
    try:
        fcntl.ioctl(pidfd, PIDFD_GET_INFO, info)
    except OSError:
        return None
    if not struct.unpack_from("<Q", info, 0)[0] & PIDFD_INFO_EXIT:
        return None
    return int(struct.unpack_from("<i", info, _EXIT_CODE_AT)[0])


def describe_status(pid: int, wait_status: int) -> str:
    """`pid 1234 killed by signal 9 (KILL)`, `... exited with status 1`, `... dumped core ...`."""
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        core = " and dumped core" if os.WCOREDUMP(wait_status) else ""
        return f"pid {pid} killed by signal {number} ({signal_name(number)}){core}"
    if os.WIFEXITED(wait_status):
        return f"pid {pid} exited with status {os.WEXITSTATUS(wait_status)}"
    return f"pid {pid} ended with wait status {wait_status}"


@dataclass
class Death:
    check: str
    pid: int
    at: float
    pidfd: int | None = None
    status: int | None = None


class ExitBook:
    """The last deaths of watched processes, per check, and how they ended."""

    def __init__(self, capacity: int = MAX_DEATHS) -> None:
        self._deaths: deque[Death] = deque()
        self._capacity = capacity
        self._lock = threading.Lock()

    def note_death(self, check: str, pid: int, pidfd: int | None) -> None:
        """A watched process died (its pidfd turned readable). The pidfd is duplicated and kept:
        the caller still closes its own."""
        kept = None
        if pidfd is not None:
            with contextlib.suppress(OSError):
                kept = os.dup(pidfd)
        self._add(Death(check, pid, time.time(), kept))

    def record_returncode(self, pid: int, returncode: int) -> None:
        """The daemon reaped its own child `pid` (Popen's returncode: negative for a signal):
        complete a death noted for that pid, if any."""
        status = -returncode if returncode < 0 else returncode << 8  # as waitpid reports it
        with self._lock:
            for death in reversed(self._deaths):
                if death.pid == pid and death.status is None:
                    death.status = status
                    self._release(death)
                    return

    def deaths(self, check: str, since: float) -> list[Death]:
        """The deaths of `check`'s processes from `since` on, oldest first, asking the kernel for
        the status of those still unknown."""
        with self._lock:
            found = [d for d in self._deaths if d.check == check and d.at >= since]
            for death in found:
                if death.status is None and death.pidfd is not None:
                    death.status = pidfd_exit_status(death.pidfd)
                    if death.status is not None:
                        self._release(death)
            return [Death(d.check, d.pid, d.at, None, d.status) for d in found]

    def close(self) -> None:
        with self._lock:
            for death in self._deaths:
                self._release(death)
            self._deaths.clear()

    def _add(self, death: Death) -> None:
        with self._lock:
            self._deaths.append(death)
            while len(self._deaths) > self._capacity:
                self._release(self._deaths.popleft())

    @staticmethod
    def _release(death: Death) -> None:
        if death.pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(death.pidfd)
            death.pidfd = None


class ExitsGatherer:
    """How the processes of one check ended since the incident window began."""

    kind: EvidenceKind = "exit"

    def __init__(self, check: str, book: ExitBook) -> None:
        self.check = check
        self.book = book

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        items = [
            EvidenceItem("exit", f"process:{self.check}", _text(death), death.at)
            for death in self.book.deaths(self.check, request.since)
        ]
        return keep_newest(items, request)


def _text(death: Death) -> str:
    if death.status is None:
        return f"pid {death.pid} ended; the kernel did not tell how"
    return describe_status(death.pid, death.status)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name.removeprefix("SIG")
    except ValueError:
        return "?"

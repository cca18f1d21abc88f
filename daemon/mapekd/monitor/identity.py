"""The identity of an observed process, and signals that reach exactly that process.

A pid alone names whatever process holds it now; after the observed process dies the kernel may
hand the pid to an unrelated one. An observed process is therefore kept as (pid, start time) plus
a pidfd opened while it was observed: a pidfd refers to that very process, never to a later holder
of its pid, so `signal.pidfd_send_signal` cannot be redirected. Where pidfds are unavailable the
start time is compared again right before `os.kill`.
"""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass

import psutil


@dataclass(frozen=True, slots=True)
class ProcIdentity:
    pid: int
    create_time: float


class ObservedProcess:
    """One process as observed by a check. Owns its pidfd (None where pidfds are unavailable)."""

    __slots__ = ("fd", "identity")

    def __init__(self, identity: ProcIdentity, fd: int | None) -> None:
        self.identity = identity
        self.fd = fd

    @property
    def pid(self) -> int:
        return self.identity.pid

    def copy(self) -> ObservedProcess:
        """An independent handle (its own pidfd) that outlives this one being closed."""
        return ObservedProcess(self.identity, os.dup(self.fd) if self.fd is not None else None)

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None

    def __del__(self) -> None:  # a handle dropped without close() must not leak its pidfd
        self.close()


def observe(identity: ProcIdentity) -> ObservedProcess | None:
    """Open a pidfd for the process `identity` describes and confirm it is still that process
    (same start time); None when it has gone in between. psutil has no pidfd API: this and
    send_signal are the only places that use pidfds directly."""
    fd: int | None
    try:
        fd = os.pidfd_open(identity.pid)
    except ProcessLookupError:
        return None
    except OSError:
        fd = None  # no pidfd support: identity is checked by start time before signalling
    if not _same_process(identity):
        if fd is not None:
            os.close(fd)
        return None
    return ObservedProcess(identity, fd)


def send_signal(observed: ObservedProcess, sig: signal.Signals) -> None:
    """Deliver `sig` to exactly the observed process. Raises ProcessLookupError when it is gone
    (or its pid now belongs to another process), PermissionError when not allowed."""
    if observed.fd is not None:
        signal.pidfd_send_signal(observed.fd, sig)
        return
    if not _same_process(observed.identity):
        raise ProcessLookupError(observed.pid)
    os.kill(observed.pid, sig)


def _same_process(identity: ProcIdentity) -> bool:
    """Gone, a zombie or unreadable: an identity we cannot confirm is not acted on."""
    try:
        now = psutil.Process(identity.pid)
        return now.create_time() == identity.create_time and now.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False

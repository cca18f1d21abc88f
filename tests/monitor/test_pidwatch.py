"""PidWatch: a pidfd on the event loop reports the exit of a process the test started."""

from __future__ import annotations

import asyncio
import errno
import os
import signal

import psutil
import pytest

from mapekd.monitor.identity import ObservedProcess, ProcIdentity, observe
from mapekd.monitor.pidwatch import PidWatch

from .conftest import own_pidfds


def handle(pid: int) -> ObservedProcess:
    observed = observe(ProcIdentity(pid, psutil.Process(pid).create_time()))
    assert observed is not None
    return observed


class Recorder:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.called = asyncio.Event()

    def __call__(self, name: str) -> None:
        self.names.append(name)
        self.called.set()


async def test_exit_of_the_watched_pid_notifies_and_closes_the_fd(spawn) -> None:
    proc = spawn()
    recorder = Recorder()
    watch = PidWatch("svc", recorder)
    before = own_pidfds()

    watch.watch(handle(proc.pid))
    assert watch.identity is not None and watch.identity.pid == proc.pid
    assert own_pidfds() == before + 1
    os.kill(proc.pid, signal.SIGKILL)
    await asyncio.wait_for(recorder.called.wait(), timeout=10)

    assert recorder.names == ["svc"]
    assert watch.identity is None and own_pidfds() == before


async def test_a_process_gone_after_it_was_observed_notifies_soon(spawn) -> None:
    proc = spawn()
    observed = handle(proc.pid)
    proc.kill()
    proc.wait()  # reaped: the pid no longer exists, but the pidfd still names that process
    recorder = Recorder()

    PidWatch("svc", recorder).watch(observed)

    await asyncio.wait_for(recorder.called.wait(), timeout=10)
    assert recorder.names == ["svc"]


async def test_rewatching_reuses_or_replaces_the_single_fd(spawn) -> None:
    first, second = spawn(), spawn()
    watch = PidWatch("svc", Recorder())
    before = own_pidfds()

    watch.watch(handle(first.pid))
    watch.watch(handle(first.pid))  # the same process: the new handle is closed
    assert own_pidfds() == before + 1
    watch.watch(handle(second.pid))
    assert watch.identity is not None and watch.identity.pid == second.pid
    assert own_pidfds() == before + 1
    watch.clear()
    assert watch.identity is None and own_pidfds() == before


async def test_without_pidfd_support_the_watch_silently_does_nothing(spawn, pidfd_unsupported: None) -> None:
    proc = spawn()
    recorder = Recorder()
    watch = PidWatch("svc", recorder)

    watch.watch(handle(proc.pid))
    await asyncio.sleep(0)  # give a wrongly scheduled exit callback the chance to run

    assert watch.identity is None and recorder.names == []


@pytest.fixture
def pidfd_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    """An old kernel: pidfd_open fails with ENOSYS."""

    def unsupported(pid: int, flags: int = 0) -> int:
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))

    monkeypatch.setattr(os, "pidfd_open", unsupported)

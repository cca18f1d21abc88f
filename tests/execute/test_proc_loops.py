"""Action processes behave alike on asyncio's loop and on uvloop: they hold no fd of ours beyond
0-2, the action ends when its own process exits (not when a background process it started closes
the output pipe), the output is read with a cap that keeps the tail, and a timeout kills the group."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from mapekd.eventloop import EventLoopChoice, run
from mapekd.execute.base import ExecResult
from mapekd.execute.proc import OUTPUT_TAIL, run_to_completion, start_detached
from tests.conftest import wait_for

LOOPS: list[EventLoopChoice] = ["asyncio", "uvloop"]


def run_on(loop: EventLoopChoice, argv: list[str], timeout: float = 10.0) -> ExecResult:
    return run(run_to_completion(argv, timeout=timeout), loop)


@pytest.fixture
def started() -> Iterator[list[int]]:
    """Pids of background processes a test started; killed at the end whatever happened."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def foreign_fds(pid: int) -> dict[int, str]:
    """The fds of `pid` beyond 0-2 that are pipes or sockets (what the daemon could leak), with
    what they point at. A regular file is the process's own: `sleep` opens its locale files
    while it starts, and a test looking at that moment must not take them for ours."""
    fds = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            fds[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed between the listing and the look
            continue
    return {fd: t for fd, t in fds.items() if fd > 2 and t.startswith(("pipe:", "socket:", "anon_inode:"))}


def gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.parametrize("loop", LOOPS)
def test_a_background_process_neither_holds_the_action_nor_dies_with_it(
    loop: EventLoopChoice, tmp_path: Path, started: list[int]
) -> None:
    pidfile = tmp_path / "sleep.pid"
    script = f"sleep 300 & echo $! > {pidfile}; echo started"
    began = time.monotonic()
    result = run_on(loop, ["sh", "-c", script])
    elapsed = time.monotonic() - began
    sleeper = int(pidfile.read_text())
    started.append(sleeper)
    assert result.state == "succeeded" and result.exit_code == 0, result
    assert result.output_tail == "started\n"
    assert elapsed < 5.0, f"the action waited {elapsed:.1f}s for its background process"
    assert psutil.Process(sleeper).status() != psutil.STATUS_ZOMBIE, "the background sleep was killed"
    assert foreign_fds(sleeper) == {}, "the grandchild holds fds of the daemon"


@pytest.mark.parametrize("loop", LOOPS)
def test_the_child_gets_exactly_fds_0_to_2(loop: EventLoopChoice) -> None:
    result = run_on(loop, [sys.executable, "-c", "import os; print(sorted(os.listdir('/proc/self/fd')))"])
    # Python's listdir holds one fd of its own on /proc/self/fd while it reads it.
    fds = [int(fd) for fd in result.output_tail.strip("[]'\n").split("', '")]
    assert fds[:3] == [0, 1, 2] and len(fds) == 4, result.output_tail


@pytest.mark.parametrize("loop", LOOPS)
def test_fifty_mib_of_output_keeps_memory_bounded_and_the_tail(loop: EventLoopChoice) -> None:
    script = "head -c 52428800 /dev/zero | tr '\\0' x; echo THE-END"
    tracemalloc.start()
    try:
        result = run_on(loop, ["sh", "-c", script], timeout=60.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.state == "succeeded", result
    assert result.output_tail.endswith("xxxTHE-END\n") and len(result.output_tail) == OUTPUT_TAIL
    assert peak < 4 * 1024 * 1024, f"reading the output took {peak / 2**20:.1f} MiB"


@pytest.mark.parametrize("loop", LOOPS)
def test_timeout_kills_a_hung_child_and_its_group(
    loop: EventLoopChoice, tmp_path: Path, started: list[int]
) -> None:
    pidfile = tmp_path / "sleep.pid"
    result = run_on(loop, ["sh", "-c", f"sleep 300 & echo $! > {pidfile}; echo waiting; sleep 300"], 1.0)
    started.append(int(pidfile.read_text()))
    assert result.state == "timeout" and result.error == "killed after 1s timeout"
    assert result.output_tail == "waiting\n"
    wait_for(lambda: gone(started[0]), timeout=5, message="the background sleep killed with its group")


@pytest.mark.parametrize("loop", LOOPS)
def test_a_detached_service_holds_only_fds_0_to_2(
    loop: EventLoopChoice, tmp_path: Path, started: list[int]
) -> None:
    log = tmp_path / "svc.log"
    result = run(start_detached(["sleep", "300"], grace=0.3, log_file=str(log)), loop)
    assert result.state == "succeeded", result
    pid = int(result.output_tail.split()[-1])
    started.append(pid)
    assert foreign_fds(pid) == {}
    assert stat.S_ISREG(os.stat(f"/proc/{pid}/fd/1").st_mode), "its output goes to the log file"

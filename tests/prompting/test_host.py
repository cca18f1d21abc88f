"""The host snapshot, taken from this machine with processes the test starts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from mapekd.prompting import HostSnapshot, snapshot_host
from tests.conftest import wait_for

BUSY = "import time\nend = time.time() + 60\nwhile time.time() < end: pass"
FAT = """
import time
blob = bytearray(300 * 1024 * 1024)
blob[::4096] = b"x" * len(blob[::4096])  # touch every page: resident, not only reserved
print("ready", flush=True)
time.sleep(60)
"""


def python(*args: str, stdout: int | None = None) -> subprocess.Popen[bytes]:
    """A Python process whose command line starts with a short fixed name, so that what the
    snapshot clips does not depend on where the interpreter is installed."""
    return subprocess.Popen(["python3", *args], executable=sys.executable, stdout=stdout)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        process.kill()
        process.wait()


def test_a_busy_process_and_a_fat_one_top_their_lists(started: list[subprocess.Popen[bytes]]) -> None:
    busy = python("-c", BUSY, "mapekd-test-busy")
    fat = python("-c", FAT, "mapekd-test-fat", stdout=subprocess.PIPE)
    started += [busy, fat]
    assert fat.stdout is not None and fat.stdout.readline() == b"ready\n"
    snapshot = wait_for(
        lambda: _with(busy.pid, snapshot_host(top=50, interval=0.5, watched={busy.pid})), timeout=30
    )
    by_cpu = {p.pid: p for p in snapshot.top_cpu}
    by_memory = {p.pid: p for p in snapshot.top_memory}
    assert by_cpu[busy.pid].cpu_percent > 20
    assert by_cpu[busy.pid].cmdline.endswith("mapekd-test-busy")
    assert by_memory[fat.pid].rss_bytes > 250 * 1024 * 1024
    assert list(by_memory.values()) == sorted(by_memory.values(), key=lambda p: -p.rss_bytes)
    assert len(snapshot.load) == 3 and snapshot.cpu_count >= 1 and 0 < snapshot.memory_percent < 100
    assert snapshot.disks and all(0 <= d.used_percent <= 100 and d.total_bytes > 0 for d in snapshot.disks)


def _with(pid: int, snapshot: HostSnapshot) -> HostSnapshot | None:
    """The snapshot if it caught `pid` busy (a loaded machine may not schedule it at once)."""
    return snapshot if any(p.pid == pid for p in snapshot.top_cpu) else None


def test_command_lines_are_clipped_between_arguments(started: list[subprocess.Popen[bytes]]) -> None:
    secret = "S" * 40 + "-long-secret-argument-" + "Z" * 40
    process = python("-c", BUSY, "--flag", secret)
    started.append(process)
    snapshot = wait_for(
        lambda: _with(
            process.pid, snapshot_host(top=50, interval=0.5, cmdline_chars=120, watched={process.pid})
        ),
        timeout=30,
    )
    cmdline = next(p.cmdline for p in snapshot.top_cpu if p.pid == process.pid)
    assert len(cmdline) <= 124 and cmdline.endswith(" ...")
    assert "SSSS" not in cmdline and "ZZZZ" not in cmdline  # the long argument is whole or absent

"""The process table read straight from /proc: one `stat` file per process.

The shared scan (proctable.py) reads every process on the host each cycle; through psutil each
costs a general-purpose Process object and several parses (about 24 µs), here one read and one
split. Names follow psutil's rule (a kernel-truncated 15-character name is completed from the
command line). A start time is the kernel's start tick over CLK_TCK plus the boot time, read once
per daemon: a process's identity (pid, start time) then never changes when the clock is stepped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

import psutil

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
COMM_LEN = 15
"""The kernel keeps the first 15 bytes of a process name."""


class ProcStat(NamedTuple):
    """A tuple: made for every process every cycle, it must be cheap to create."""

    pid: int
    name: str
    zombie: bool
    create_time: float
    """Seconds since the epoch: start ticks / CLK_TCK + boot_time()."""
    cpu_ticks: int = 0
    """User + system CPU time so far, in clock ticks."""
    threads: int = 0
    rss_bytes: int = 0


@cache
def boot_time() -> float:
    return psutil.boot_time()


def scan(want_cmdline: bool) -> Iterator[tuple[ProcStat, str]]:
    """Every readable process with its command line joined by spaces ("" when not wanted or
    unreadable). Processes that exit during the scan are skipped."""
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            stat = stat_of(int(entry.name))
            if stat is None:
                continue
            argv = read_cmdline(stat.pid) if want_cmdline or len(stat.name) >= COMM_LEN else []
            yield _full_name(stat, argv), " ".join(argv) if want_cmdline else ""


def stat_of(pid: int) -> ProcStat | None:
    """The process holding `pid` now; None when there is none (or it is hidden from us)."""
    data = _read(f"/proc/{pid}/stat", whole=False)
    if not data:  # exited meanwhile, or hidden from us
        return None
    # The name sits between the first "(" and the last ")" and may itself contain both.
    name = data[data.find(b"(") + 1 : data.rfind(b")")].decode(errors="replace")
    fields = data[data.rfind(b")") + 2 :].split(None, 22)  # up to rss; the rest unsplit
    # fields[i] is field i + 3 of proc(5): state 3, utime 14, stime 15, num_threads 20,
    # starttime 22, rss 24 (pages).
    return ProcStat(
        pid,
        name,
        fields[0] == b"Z",
        int(fields[19]) / CLOCK_TICKS + boot_time(),
        int(fields[11]) + int(fields[12]),
        int(fields[17]),
        int(fields[21]) * PAGE_SIZE,
    )


def read_cmdline(pid: int) -> list[str]:
    data = _read(f"/proc/{pid}/cmdline", whole=True)
    return [arg.decode(errors="replace") for arg in data.rstrip(b"\0").split(b"\0")] if data else []


def _read(path: str, *, whole: bool) -> bytes | None:
    """A /proc file (its first 64 KiB unless `whole`: a stat line is far shorter); None when
    it cannot be read. Plain os.read: a Python file object costs twice as much, and the scan
    reads one file per process per cycle."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = [os.read(fd, 65536)]
        while whole and chunks[-1]:  # a command line may be longer than one read
            chunks.append(os.read(fd, 65536))
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def full_name(stat: ProcStat) -> ProcStat:
    """`stat` with its name completed from the command line where the kernel truncated it."""
    return _full_name(stat, read_cmdline(stat.pid)) if len(stat.name) >= COMM_LEN else stat


def _full_name(stat: ProcStat, argv: list[str]) -> ProcStat:
    if len(stat.name) < COMM_LEN or not argv:
        return stat
    extended = os.path.basename(argv[0])
    if not extended.startswith(stat.name):
        return stat
    return stat._replace(name=extended)

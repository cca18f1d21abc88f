"""The process table read straight from /proc: one `stat` file per process.

The shared scan (proctable.py) reads every process on the host each cycle; through psutil each
costs a general-purpose Process object and several parses (about 24 µs), here one read and a name
cut out of it: the rest of the line is parsed only for a process a check matches. Names follow
psutil's rule (a kernel-truncated 15-character name is completed from the command line; a kernel
thread has none, so none is read). A start time is the kernel's start tick over CLK_TCK plus the
boot time, read once per daemon: a process's identity (pid, start time) then never changes when
the clock is stepped.
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
PF_KTHREAD = 0x00200000
"""The flag (stat field 9) of a kernel thread: it has no command line to read."""


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


class Listed(NamedTuple):
    """A live process as the scan lists it: name and command line at once; the rest of its stat
    line is parsed only for a process a check matches (most processes match nothing)."""

    pid: int
    name: str
    """Completed from the command line where the kernel truncated it."""
    cmdline: str
    """Joined by spaces ("" when not asked for or unreadable)."""
    line: bytes
    """The stat line as read."""

    def stat(self) -> ProcStat:
        return _parse(self.pid, self.line, self.name)


def scan(want_cmdline: bool) -> Iterator[Listed]:
    """Every readable live process (zombies skipped: they have exited). Processes that exit
    during the scan are skipped."""
    for entry in os.listdir("/proc"):
        pid = int(entry) if entry.isdigit() else 0
        line = _read_stat(pid) if pid else None
        if not line:  # not a process, exited meanwhile, or hidden from us
            continue
        close = line.rfind(b")")
        if line[close + 2 : close + 3] == b"Z":
            continue
        name = line[line.find(b"(") + 1 : close].decode(errors="replace")
        wanted = want_cmdline or len(name) >= COMM_LEN
        argv = read_cmdline(pid) if wanted and not _kernel_thread(line, close) else []
        yield Listed(pid, _completed(name, argv), " ".join(argv) if want_cmdline else "", line)


def _kernel_thread(line: bytes, close: int) -> bool:
    return bool(int(line[close + 2 :].split(None, 7)[6]) & PF_KTHREAD)


def stat_of(pid: int) -> ProcStat | None:
    """The process holding `pid` now; None when there is none (or it is hidden from us)."""
    line = _read_stat(pid)
    return _parse(pid, line, None) if line else None


def _parse(pid: int, line: bytes, name: str | None) -> ProcStat:
    # The name sits between the first "(" and the last ")" and may itself contain both.
    close = line.rfind(b")")
    if name is None:
        name = line[line.find(b"(") + 1 : close].decode(errors="replace")
    fields = line[close + 2 :].split(None, 22)  # up to rss; the rest unsplit
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
    data = read_whole(f"/proc/{pid}/cmdline")
    return [arg.decode(errors="replace") for arg in data.rstrip(b"\0").split(b"\0")] if data else []


def _read_stat(pid: int) -> bytes | None:
    """A stat line (one read: it is far shorter than 4 KiB); None when it cannot be read. Plain
    os.read: a Python file object costs twice as much, and the scan reads one file per process
    per cycle."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_whole(path: str) -> bytes | None:
    """A /proc file of any length (a command line may be longer than one read); None when it
    cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = [os.read(fd, 65536)]
        while chunks[-1]:
            chunks.append(os.read(fd, 65536))
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def full_name(stat: ProcStat) -> ProcStat:
    """`stat` with its name completed from the command line where the kernel truncated it."""
    if len(stat.name) < COMM_LEN:
        return stat
    return stat._replace(name=_completed(stat.name, read_cmdline(stat.pid)))


def _completed(name: str, argv: list[str]) -> str:
    """psutil's rule: a 15-character name is completed from argv[0] when that starts with it."""
    if len(name) < COMM_LEN or not argv:
        return name
    extended = os.path.basename(argv[0])
    return extended if extended.startswith(name) else name

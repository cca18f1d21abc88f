"""A snapshot of the host for the analysis prompt: load, memory, disks, and the heaviest processes.

Blocking (psutil reads /proc, statvfs, and CPU use is measured over `interval`): call it in a
thread. Command lines are clipped at whitespace (see `clip`), so an argument is whole or absent.

Other users' command lines hold their secrets (`mysql -pSECRET`, tokens in arguments), and no
redaction pattern knows them all: only the watched processes (the pids the process checks
matched, `watched`) are shown with their command line. The others, by `others`
(`redaction.other_processes`): `names` (default) by name, pid, CPU and memory only; `none` not
listed, only counted in `other_processes`; `full` with their command line too."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import psutil

from mapekd.prompting.data import clip, number

OtherProcesses = Literal["names", "none", "full"]

_MIB = 1024 * 1024
_GIB = 1024 * _MIB
MIN_CPU = 0.5
"""Percent of one CPU below which a process is idle."""
SKIPPED_FSTYPES = frozenset({"squashfs", "iso9660"})
"""Read-only images (snaps, CDs) are always full: reporting them would only mislead."""


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    pid: int
    name: str
    cmdline: str | None
    """None: not to be shown (another process than the watched ones)."""
    cpu_percent: float
    rss_bytes: int
    watched: bool = False


@dataclass(frozen=True, slots=True)
class ProcessTotals:
    """The processes other than the watched ones, together."""

    count: int = 0
    cpu_percent: float = 0.0
    rss_bytes: int = 0


@dataclass(frozen=True, slots=True)
class DiskInfo:
    mount: str
    used_percent: float
    free_bytes: int
    total_bytes: int


@dataclass(frozen=True, slots=True)
class HostSnapshot:
    ts: float
    load: tuple[float, float, float]
    cpu_count: int
    memory_percent: float
    memory_available_bytes: int
    swap_percent: float
    disks: tuple[DiskInfo, ...]
    top_cpu: tuple[ProcessInfo, ...]
    top_memory: tuple[ProcessInfo, ...]
    other_processes: ProcessTotals = field(default_factory=ProcessTotals)

    def to_context(self) -> dict[str, Any]:
        """Compact numbers (MiB, GiB, rounded) for the prompt."""
        return {
            "load": [number(x) for x in self.load],
            "cpus": self.cpu_count,
            "memory_percent": number(self.memory_percent),
            "memory_available_mb": round(self.memory_available_bytes / _MIB),
            "swap_percent": number(self.swap_percent),
            "disks": [
                {
                    "mount": d.mount,
                    "used_percent": number(d.used_percent),
                    "free_gb": number(d.free_bytes / _GIB),
                }
                for d in self.disks
            ],
            "top_cpu": [_process_context(p) for p in self.top_cpu],
            "top_memory": [_process_context(p) for p in self.top_memory],
            "other_processes": {
                "count": self.other_processes.count,
                "cpu_percent": number(self.other_processes.cpu_percent),
                "rss_mb": number(self.other_processes.rss_bytes / _MIB),
            },
        }


def _process_context(p: ProcessInfo) -> dict[str, Any]:
    context: dict[str, Any] = {"pid": p.pid, "name": p.name}
    if p.cmdline is not None:
        context["cmdline"] = p.cmdline
    context.update(cpu_percent=number(p.cpu_percent), rss_mb=number(p.rss_bytes / _MIB))
    return context


def snapshot_host(
    top: int = 5,
    *,
    interval: float = 0.2,
    cmdline_chars: int = 160,
    watched: Collection[int] = (),
    others: OtherProcesses = "names",
) -> HostSnapshot:
    """CPU use is the CPU time each process got during `interval`, divided by it. `watched` and
    `others`: whose command lines are shown, and how the other processes are (module docstring)."""
    before = _cpu_seconds()
    started = time.monotonic()
    time.sleep(interval)
    now = list(_processes(cmdline_chars, frozenset(watched), show_all=others == "full"))
    elapsed = max(time.monotonic() - started, 1e-6)
    measured = [
        ProcessInfo(
            info.pid,
            info.name,
            info.cmdline,
            100.0 * (cpu - before.get(key, cpu)) / elapsed,
            info.rss_bytes,
            info.watched,
        )
        for key, cpu, info in now
    ]
    listed = [p for p in measured if p.watched or others != "none"]
    memory = psutil.virtual_memory()
    return HostSnapshot(
        ts=time.time(),
        load=psutil.getloadavg(),
        cpu_count=psutil.cpu_count() or 1,
        memory_percent=memory.percent,
        memory_available_bytes=memory.available,
        swap_percent=psutil.swap_memory().percent,
        disks=tuple(_disks()),
        # Idle processes and kernel threads (no memory of their own) say nothing: left out.
        top_cpu=tuple(
            sorted((p for p in listed if p.cpu_percent >= MIN_CPU), key=lambda p: -p.cpu_percent)[:top]
        ),
        top_memory=tuple(sorted((p for p in listed if p.rss_bytes), key=lambda p: -p.rss_bytes)[:top]),
        other_processes=_totals(p for p in measured if not p.watched),
    )


def _totals(processes: Iterable[ProcessInfo]) -> ProcessTotals:
    count, cpu, rss = 0, 0.0, 0
    for p in processes:
        count, cpu, rss = count + 1, cpu + p.cpu_percent, rss + p.rss_bytes
    return ProcessTotals(count, cpu, rss)


def _cpu_seconds() -> dict[tuple[int, float], float]:
    """CPU seconds so far per process identity (pid, start time: a reused pid is another process)."""
    seconds = {}
    for proc in psutil.process_iter(["pid", "create_time", "cpu_times"]):
        times = proc.info["cpu_times"]
        if times is not None:
            seconds[(proc.info["pid"], float(proc.info["create_time"] or 0.0))] = float(
                times.user + times.system
            )
    return seconds


def _processes(
    cmdline_chars: int, watched: frozenset[int], *, show_all: bool
) -> list[tuple[tuple[int, float], float, ProcessInfo]]:
    """(identity, CPU seconds so far, info) of every process that could be read; the command
    line only of those whose command line is to be shown (never read for the others)."""
    found = []
    attrs = ["pid", "name", "memory_info", "cpu_times", "create_time"]
    for proc in psutil.process_iter(attrs):
        info = proc.info
        if info["cpu_times"] is None or info["memory_info"] is None:
            continue  # gone, or not ours to read
        cpu = float(info["cpu_times"].user + info["cpu_times"].system)
        mine = info["pid"] in watched
        cmdline = _cmdline(proc, cmdline_chars) if mine or show_all else None
        name = clip(info["name"] or "", 60)
        process = ProcessInfo(info["pid"], name, cmdline, 0.0, int(info["memory_info"].rss), mine)
        found.append(((info["pid"], float(info["create_time"] or 0.0)), cpu, process))
    return found


def _cmdline(proc: psutil.Process, chars: int) -> str | None:
    try:
        return clip(" ".join(proc.cmdline()), chars)
    except psutil.Error:
        return None  # gone since, or not ours to read


def _disks() -> list[DiskInfo]:
    mounts = [p.mountpoint for p in psutil.disk_partitions(all=False) if p.fstype not in SKIPPED_FSTYPES]
    disks = []
    for mount in dict.fromkeys(mounts or ["/"]):
        try:
            usage = psutil.disk_usage(mount)
        except OSError:
            continue
        disks.append(DiskInfo(mount, usage.percent, usage.free, usage.total))
    return disks

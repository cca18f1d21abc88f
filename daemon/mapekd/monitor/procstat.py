"""Process facts through psutil: the listing of the table scan, one pid, and a measurement.

A listed process carries what matching needs (name, command line when asked, real uid, start
time); the rest is measured only for a process a check matches, under `oneshot()` so that psutil
reads each /proc file once. Names follow psutil's rule (a kernel-truncated 15-character name is
completed from the command line). Zombies are never listed: they have exited already.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import psutil

_SCAN_ATTRS = ["name", "create_time", "status"]


class Listed(NamedTuple):
    pid: int
    name: str
    cmdline: str
    """Joined by spaces ("" when not asked for or unreadable)."""
    uid: int | None
    """The real uid (None when not asked for, or hidden from us)."""
    create_time: float
    process: psutil.Process


class Measured(NamedTuple):
    cpu_seconds: float
    """User + system CPU time so far."""
    rss_bytes: int
    threads: int
    open_fds: int | None
    """None where the OS denies it (another user's process, without privileges)."""


def scan(want_cmdline: bool, want_uid: bool = False) -> Iterator[Listed]:
    """Every live process psutil can see, zombies skipped; one exiting meanwhile is skipped.
    A command line and a uid are read only when asked for: each costs one more /proc file per
    process on the host, every cycle."""
    attrs = _SCAN_ATTRS + ["cmdline"] * want_cmdline + ["uids"] * want_uid
    for process in psutil.process_iter(attrs=attrs):
        listed = _listed(process, process.info)
        if listed is not None:
            yield listed


def listed_of(pid: int, want_cmdline: bool) -> Listed | None:
    """The live process holding `pid` now; None when there is none, or it is a zombie."""
    try:
        process = psutil.Process(pid)
        attrs = [*_SCAN_ATTRS, "uids"] + ["cmdline"] * want_cmdline
        return _listed(process, process.as_dict(attrs=attrs))
    except psutil.Error:
        return None


def _listed(process: psutil.Process, info: dict[str, Any]) -> Listed | None:
    if info["status"] == psutil.STATUS_ZOMBIE or info["create_time"] is None:
        return None
    uids = info.get("uids")
    return Listed(
        process.pid,
        info["name"] or "",
        " ".join(info.get("cmdline") or ()),
        uids.real if uids is not None else None,
        info["create_time"],
        process,
    )


def measure(process: psutil.Process) -> Measured:
    """Raises psutil.NoSuchProcess when the process has exited since it was listed."""
    with process.oneshot():
        cpu = process.cpu_times()
        try:
            fds: int | None = process.num_fds()
        except psutil.AccessDenied:
            fds = None
        return Measured(cpu.user + cpu.system, process.memory_info().rss, process.num_threads(), fds)

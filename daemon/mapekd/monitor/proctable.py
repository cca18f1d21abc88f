"""One process-table scan per cycle, shared by every process check that matches by name or
command line (a scan reads /proc for every process on the host: doing it once per check would
multiply the loop's cost by the number of checks)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import psutil


@dataclass(frozen=True, slots=True)
class Entry:
    proc: psutil.Process
    name: str
    cmdline: str
    """The command line joined by spaces ("" when not asked for or unreadable)."""


class ProcessTable:
    """A lazily taken snapshot of the live processes (the daemon itself and zombies excluded).

    `invalidate()` at the start of each cycle (and before a verification) marks it stale; the first
    check that needs it then scans, the others reuse that scan. Thread-safe: checks read /proc in
    worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[Entry] | None = None
        self._want_cmdline = False

    def need_cmdline(self) -> None:
        """A check matching by command line exists: scans read cmdlines too (they cost more)."""
        self._want_cmdline = True

    def invalidate(self) -> None:
        with self._lock:
            self._entries = None

    def entries(self) -> list[Entry]:
        with self._lock:
            if self._entries is None:
                self._entries = self._scan()
            return self._entries

    def _scan(self) -> list[Entry]:
        attrs = ["name", "status", "create_time"] + (["cmdline"] if self._want_cmdline else [])
        own_pid = os.getpid()
        found = []
        for proc in psutil.process_iter(attrs):
            info = proc.info
            if proc.pid == own_pid or info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmdline = " ".join(info.get("cmdline") or ())
            found.append(Entry(proc, info["name"] or "", cmdline))
        return found

"""Finding the processes a process check watches: by exact name, command line, pidfile or a
systemd unit's MainPID, optionally only those of one user.

The calling process (the daemon itself) and zombies are never found: a zombie has exited, it only
waits for its parent to collect its exit status. With `uid`, only processes whose real uid is
that user's match: another user's same-named process must not stand in for the watched one.

A pidfile (or a unit's MainPID) names a pid, and a pid outlives nothing: once the process that
wrote the file is gone, the pid may belong to anything. Such a check may therefore also name
`match_name`, `cmdline` or a user; a pid that does not match them is a stale pidfile, reported as
such and never acted on.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from mapekd.errors import CheckError
from mapekd.monitor.pidfile import read_pidfile
from mapekd.monitor.procstat import Listed, listed_of
from mapekd.monitor.proctable import ProcessTable
from mapekd.monitor.unitpid import main_pid

REREAD_S = 0.05
"""A pidfile that holds no pid is read once more after this long (writers truncate, then write)."""


@dataclass(frozen=True, slots=True)
class Found:
    procs: list[Listed] = field(default_factory=list)
    stale: str | None = None
    """Why the pidfile's pid is not the watched process (None: not a stale pidfile)."""
    pidfile_mtime: float | None = None


@dataclass(frozen=True, slots=True)
class UnitSource:
    """Where a unit's MainPID is asked: systemctl's absolute path (None: not installed)."""

    unit: str
    systemctl: str | None
    timeout: float


@dataclass(frozen=True, slots=True)
class ProcessMatcher:
    """`pidfile` or `unit` (a pid source), or `name` / `cmdline`; `uid` narrows any of them."""

    name: str | None = None
    cmdline: str | None = None
    pidfile: str | None = None
    unit: UnitSource | None = None
    uid: int | None = None

    def find(self, table: ProcessTable) -> Found:
        """The live processes matched now. Blocking; raises CheckError."""
        if self.pidfile:
            return self._from_pidfile(self.pidfile)
        if self.unit is not None:
            pid = main_pid(self.unit.systemctl, self.unit.unit, self.unit.timeout)
            return self._from_pid(pid, f"unit {self.unit.unit}'s MainPID", None) if pid else Found()
        return Found([e for e in table.entries() if self._matches(e)])

    def _from_pidfile(self, path: str) -> Found:
        trusted = frozenset({0, os.geteuid()} | ({self.uid} if self.uid is not None else set()))
        try:
            text, mtime = read_pidfile(path, trusted)
            if not text.isdigit():  # caught between a truncate and a write: look once more
                time.sleep(REREAD_S)
                text, mtime = read_pidfile(path, trusted)
        except FileNotFoundError:
            return Found()  # a stopped service removes its pidfile: dead, not a check failure
        if not text.isdigit() or int(text) <= 0:
            raise CheckError(f"pidfile {path} does not hold a pid")
        return self._from_pid(int(text), f"pidfile {path} names pid", mtime)

    def _from_pid(self, pid: int, source: str, mtime: float | None) -> Found:
        listed = listed_of(pid, want_cmdline=bool(self.cmdline))
        if listed is None or pid == os.getpid():  # gone (or a zombie); the file was left behind
            return Found(pidfile_mtime=mtime)
        stale = self._why_not(listed)
        if stale is not None:
            return Found(stale=f"{source} {pid}, {stale}", pidfile_mtime=mtime)
        return Found([listed], pidfile_mtime=mtime)

    def _matches(self, listed: Listed) -> bool:
        """_why_not(listed) is None, without building a reason for every process of a scan."""
        return (
            (self.uid is None or listed.uid == self.uid)
            and (not self.name or listed.name == self.name)
            and (not self.cmdline or self.cmdline in listed.cmdline)
        )

    def _why_not(self, listed: Listed) -> str | None:
        """Why `listed` is not the process the check describes; None when it is (or nothing is
        configured to tell)."""
        if self.uid is not None and listed.uid != self.uid:
            return f"run by uid {listed.uid}, not {self.uid}"
        if self.name and listed.name != self.name:
            return f"named {listed.name!r}, not {self.name!r}"
        if self.cmdline and self.cmdline not in listed.cmdline:
            return f"whose command line does not contain {self.cmdline!r}"
        return None

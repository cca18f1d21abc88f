"""Finding the processes a process check watches: by exact name, command line or pidfile.

The calling process (the daemon itself) and zombies are never found: a zombie has exited, it only
waits for its parent to collect its exit status.

A pidfile names a pid, and a pid outlives nothing: once the process that wrote the file is gone,
the pid may belong to anything. A pidfile check may therefore also name `match_name` or `cmdline`;
a pid that does not match them is a stale pidfile, reported as such and never acted on.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from mapekd.errors import CheckError
from mapekd.monitor.procstat import ProcStat, full_name, read_cmdline, stat_of
from mapekd.monitor.proctable import ProcessTable

REREAD_S = 0.05
"""A pidfile that holds no pid is read once more after this long (writers truncate, then write)."""


@dataclass(frozen=True, slots=True)
class Found:
    procs: list[ProcStat] = field(default_factory=list)
    stale: str | None = None
    """Why the pidfile's pid is not the watched process (None: not a stale pidfile)."""
    pidfile_mtime: float | None = None


@dataclass(frozen=True, slots=True)
class ProcessMatcher:
    """`pidfile`, or one of `name` / `cmdline`, or a pidfile verified by one of them."""

    name: str | None = None
    cmdline: str | None = None
    pidfile: str | None = None

    def find(self, table: ProcessTable) -> Found:
        """The live processes matched now. Blocking (/proc reads); raises CheckError."""
        if self.pidfile:
            return self._from_pidfile(self.pidfile)
        return Found([e.stat() for e in table.entries() if self.matches(e.name, e.cmdline)])

    def matches(self, name: str | None, cmdline: str) -> bool:
        if self.name:
            return name == self.name
        return self.cmdline is not None and self.cmdline in cmdline

    def _from_pidfile(self, path: str) -> Found:
        try:
            text, mtime = _read_pidfile(path)
            if not text.isdigit():  # caught between a truncate and a write: look once more
                time.sleep(REREAD_S)
                text, mtime = _read_pidfile(path)
        except FileNotFoundError:
            return Found()  # a stopped service removes its pidfile: dead, not a check failure
        except OSError as exc:
            raise CheckError(f"pidfile {path}: {exc.strerror or type(exc).__name__}") from exc
        if not text.isdigit() or int(text) <= 0:
            raise CheckError(f"pidfile {path} does not hold a pid")
        pid = int(text)
        stat = stat_of(pid)
        if stat is None or pid == os.getpid() or stat.zombie:  # gone; the file was left behind
            return Found(pidfile_mtime=mtime)
        stale = self._verify(stat)
        if stale is not None:
            return Found(stale=f"pidfile {path} names pid {pid}, {stale}", pidfile_mtime=mtime)
        return Found([stat], pidfile_mtime=mtime)

    def _verify(self, stat: ProcStat) -> str | None:
        """Why the process `stat` describes is not the one the check describes; None when it is
        (or nothing is configured to tell)."""
        if self.name and (name := full_name(stat).name) != self.name:
            return f"named {name!r}, not {self.name!r}"
        if self.cmdline and self.cmdline not in " ".join(read_cmdline(stat.pid)):
            return f"whose command line does not contain {self.cmdline!r}"
        return None


def _read_pidfile(path: str) -> tuple[str, float]:
    """The file's text, stripped, and its mtime (of the very file read: one open)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 4096).decode("ascii", errors="replace").strip(), os.fstat(fd).st_mtime
    finally:
        os.close(fd)

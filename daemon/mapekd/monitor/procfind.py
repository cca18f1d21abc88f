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
from pathlib import Path

import psutil

from mapekd.errors import CheckError
from mapekd.monitor.proctable import ProcessTable

REREAD_S = 0.05
"""A pidfile that holds no pid is read once more after this long (writers truncate, then write)."""


@dataclass(frozen=True, slots=True)
class Found:
    procs: list[psutil.Process] = field(default_factory=list)
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
            return self._from_pidfile(Path(self.pidfile))
        return Found([e.proc for e in table.entries() if self.matches(e.name, e.cmdline)])

    def matches(self, name: str | None, cmdline: str) -> bool:
        if self.name:
            return name == self.name
        return self.cmdline is not None and self.cmdline in cmdline

    def _from_pidfile(self, path: Path) -> Found:
        try:
            text = path.read_text(encoding="ascii", errors="replace").strip()
            if not text.isdigit():  # caught between a truncate and a write: look once more
                time.sleep(REREAD_S)
                text = path.read_text(encoding="ascii", errors="replace").strip()
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return Found()  # a stopped service removes its pidfile: dead, not a check failure
        except OSError as exc:
            raise CheckError(f"pidfile {path}: {exc.strerror or type(exc).__name__}") from exc
        if not text.isdigit() or int(text) <= 0:
            raise CheckError(f"pidfile {path} does not hold a pid")
        pid = int(text)
        try:
            proc = psutil.Process(pid)
            if pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
                return Found(pidfile_mtime=mtime)
            stale = self._verify(proc)
        except psutil.NoSuchProcess:  # the process is gone; the file was left behind
            return Found(pidfile_mtime=mtime)
        except psutil.AccessDenied as exc:
            raise CheckError(f"pidfile {path}: pid {pid} cannot be inspected") from exc
        if stale is not None:
            return Found(stale=f"pidfile {path} names pid {pid}, {stale}", pidfile_mtime=mtime)
        return Found([proc], pidfile_mtime=mtime)

    def _verify(self, proc: psutil.Process) -> str | None:
        """Why `proc` is not the process the check describes; None when it is (or nothing is
        configured to tell)."""
        if self.name and proc.name() != self.name:
            return f"named {proc.name()!r}, not {self.name!r}"
        if self.cmdline and self.cmdline not in " ".join(proc.cmdline()):
            return f"whose command line does not contain {self.cmdline!r}"
        return None

"""Finding the processes a process check watches: by exact name, command line or pidfile.

The calling process (the daemon itself) and zombies are never found: a zombie has exited, it only
waits for its parent to collect its exit status.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psutil

from mapekd.errors import CheckError


@dataclass(frozen=True, slots=True)
class ProcessMatcher:
    """Exactly one of the three is set (the config model guarantees it)."""

    name: str | None = None
    cmdline: str | None = None
    pidfile: str | None = None

    def find(self) -> list[psutil.Process]:
        """The live processes matched now. Blocking (/proc reads); raises CheckError."""
        if self.pidfile:
            return _from_pidfile(Path(self.pidfile))
        own_pid = os.getpid()
        found = []
        for proc in psutil.process_iter(["name", "cmdline", "status"]):
            info = proc.info
            if proc.pid == own_pid or info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if self._matches(info["name"], info["cmdline"]):
                found.append(proc)
        return found

    def _matches(self, name: str | None, cmdline: list[str] | None) -> bool:
        if self.name:
            return name == self.name
        return self.cmdline is not None and self.cmdline in " ".join(cmdline or ())


def _from_pidfile(path: Path) -> list[psutil.Process]:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        return []  # a stopped service removes its pidfile: dead, not a check failure
    except OSError as exc:
        raise CheckError(f"pidfile {path}: {exc.strerror or type(exc).__name__}") from exc
    if not text.isdigit() or int(text) <= 0:
        raise CheckError(f"pidfile {path} does not hold a pid")
    pid = int(text)
    try:
        proc = psutil.Process(pid)
        if pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
            return []
    except psutil.NoSuchProcess:  # a stale pidfile: the process is gone
        return []
    except psutil.AccessDenied:
        pass  # it exists; whether it is a zombie we cannot tell, so we count it as alive
    return [proc]

"""One observation of a process check: find, verify identity, measure, open pidfds.

Runs in a worker thread (/proc reads, the pidfile and systemctl block). The Observer remembers the
identity of what it last watched, so that a pid handed to another process is told apart from the
watched one. One observation at a time per check: while one is stuck, the next gives up after
TURN_WAIT_S (state unknown) instead of stacking up threads behind it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil

from mapekd.errors import CheckError
from mapekd.model import FieldValue
from mapekd.monitor.identity import ObservedProcess, ProcIdentity, observe
from mapekd.monitor.procfind import Found, ProcessMatcher
from mapekd.monitor.procstat import Listed, measure
from mapekd.monitor.proctable import ProcessTable

Fields = dict[str, FieldValue]
MAX_HANDLES = 64
"""Pidfds kept per check for the matched processes (the ones a signal may reach)."""
TURN_WAIT_S = 1.0
"""How long an observation waits for the check's previous one (a collection and a look for a
restarted process may overlap; an observation takes milliseconds unless it is stuck)."""

_DEAD: Fields = {
    "ok": False,
    "alive": False,
    "state": "dead",
    "detail": None,
    "pid": None,
    "count": 0,
    "cpu_percent": None,
    "rss_bytes": None,
    "open_fds": None,
    "threads": None,
    "uptime_s": None,
    "error": None,
}
"""The fields of a process that is not running: the same keys as a live one."""


@dataclass
class Observation:
    fields: Fields
    processes: list[ObservedProcess] = field(default_factory=list)
    watched: ObservedProcess | None = None
    pidfile_mtime: float | None = None

    @property
    def alive(self) -> bool:
        return bool(self.fields.get("alive"))

    def replaces(self, before: Observation | None) -> bool:
        """A pidfile rewritten since `before`: a new instance wrote it (even if it died since)."""
        return self.pidfile_mtime is not None and (
            before is None or before.pidfile_mtime != self.pidfile_mtime
        )

    def close(self) -> None:
        for handle in self.processes:
            handle.close()


class Observer:
    def __init__(self, matcher: ProcessMatcher, table: ProcessTable) -> None:
        self.matcher = matcher
        self.table = table
        self._lock = threading.Lock()
        self._identity: ProcIdentity | None = None
        self._identity_since: float = 0.0
        self._measured: tuple[ProcIdentity, float, float] | None = None
        """(identity, CPU seconds, monotonic time) of the last measurement: cpu_percent is the CPU
        time the same process got since then."""
        self._handles: dict[ProcIdentity, ObservedProcess] = {}
        """Pidfds of the processes matched last time, reused while the same process matches."""

    def close(self) -> None:
        with self._lock:
            for handle in self._handles.values():
                handle.close()
            self._handles = {}

    def observe(self) -> Observation:
        if not self._lock.acquire(timeout=TURN_WAIT_S):
            return unknown("the previous collection of this check is still running (stuck)")
        try:
            try:
                found = self.matcher.find(self.table)
            except CheckError as exc:
                return unknown(str(exc))
            if found.stale is not None:
                return self._not_running("stale_pidfile", found.stale, found)
            return self._measure_oldest(found)
        finally:
            self._lock.release()

    def _not_running(self, state: str, detail: str, found: Found) -> Observation:
        return Observation({**_DEAD, "state": state, "detail": detail}, pidfile_mtime=found.pidfile_mtime)

    def _measure_oldest(self, found: Found) -> Observation:
        handles = self._handles_for(found)
        listed = {ProcIdentity(p.pid, p.create_time): p for p in found.procs}
        for handle in handles:
            reused = self._reused(handle.identity, found)
            if reused is not None:
                for h in handles:
                    h.close()
                return self._not_running("pid_reused", reused, found)
            try:
                fields = self._measure(listed[handle.identity])
            except psutil.NoSuchProcess:  # exited since the scan
                continue
            self._identity, self._identity_since = handle.identity, time.time()
            fields["count"] = len(found.procs)
            return Observation(fields, handles, handle, found.pidfile_mtime)
        for h in handles:
            h.close()
        return Observation(dict(_DEAD), pidfile_mtime=found.pidfile_mtime)

    def _reused(self, identity: ProcIdentity, found: Found) -> str | None:
        """The pidfile still names the watched pid, but another process holds it now and the
        file was not rewritten since: the watched process is dead."""
        known = self._identity
        if found.pidfile_mtime is None or known is None or known.pid != identity.pid:
            return None
        if known.create_time == identity.create_time or found.pidfile_mtime > self._identity_since:
            return None
        return (
            f"pid {identity.pid} now belongs to another process (started "
            f"{identity.create_time - known.create_time:+.1f}s after the watched one)"
        )

    def _handles_for(self, found: Found) -> list[ObservedProcess]:
        """Own copies of pidfds on the oldest MAX_HANDLES matched processes. `found` was read
        just now, so an identity seen before is still that process: its pidfd is reused."""
        kept: dict[ProcIdentity, ObservedProcess] = {}
        for proc in sorted(found.procs, key=lambda p: p.create_time)[:MAX_HANDLES]:
            identity = ProcIdentity(proc.pid, proc.create_time)
            handle = self._handles.pop(identity, None) or observe(identity)
            if handle is not None:
                kept[identity] = handle
        for gone in self._handles.values():
            gone.close()
        self._handles = kept
        return [handle.copy() for handle in kept.values()]

    def _measure(self, proc: Listed) -> Fields:
        """Measured now, under psutil's oneshot(). Raises psutil.NoSuchProcess when the process
        has exited since it was listed."""
        identity, now = ProcIdentity(proc.pid, proc.create_time), time.monotonic()
        measured = measure(proc.process)
        cpu = None
        if self._measured is not None and self._measured[0] == identity and now > self._measured[2]:
            seconds = measured.cpu_seconds - self._measured[1]
            cpu = round(100 * seconds / (now - self._measured[2]), 1)  # % of one CPU, as psutil's
        self._measured = (identity, measured.cpu_seconds, now)
        return {
            **_DEAD,
            "ok": True,
            "alive": True,
            "state": "running",
            "pid": proc.pid,
            "cpu_percent": cpu,
            "rss_bytes": measured.rss_bytes,
            "open_fds": measured.open_fds,
            "threads": measured.threads,
            "uptime_s": round(time.time() - proc.create_time, 3),
        }


def unknown(error: str) -> Observation:
    """Unknown, not dead: without `alive` a rule on it neither fires nor clears."""
    return Observation({"ok": False, "state": "unknown", "error": error})

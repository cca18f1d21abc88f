"""`type: process`: is a process alive, and how heavy is it.

Matched by exactly one of: `match_name` (exact process name), `cmdline` (substring of the command
line joined by spaces) or `pidfile` (a pid that must be alive). The daemon's own process and zombies
never match. When several processes match, the oldest one (the parent of a pre-forking server,
usually) is the one measured and watched; `count` says how many matched.

Target `process:<check name>`; fields: ok (= alive), alive, pid, count, cpu_percent, rss_bytes,
open_fds, threads, uptime_s, error. cpu_percent is None on the first collection of a pid (it is a
rate between two collections); open_fds is None where the OS denies it (another user's process).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import psutil

from mapekd.config.checks import CheckBase, ProcessCheckConfig
from mapekd.errors import CheckError, ConfigError
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import describe_error, require_config
from mapekd.monitor.pidwatch import PidWatch
from mapekd.monitor.procfind import ProcessMatcher

Fields = dict[str, FieldValue]

_DEAD: Fields = {
    "ok": False,
    "alive": False,
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


class ProcessCheck:
    def __init__(
        self,
        name: str,
        *,
        match_name: str | None = None,
        cmdline: str | None = None,
        pidfile: str | None = None,
        watch: bool = True,
    ) -> None:
        if len([m for m in (match_name, cmdline, pidfile) if m]) != 1:
            raise ConfigError(
                "exactly one of match_name, cmdline or pidfile is required", path=f"checks.{name}"
            )
        self.name = name
        self.targets = (f"process:{name}",)
        self._matcher = ProcessMatcher(match_name, cmdline, pidfile)
        self._watch_enabled = watch
        self._watch: PidWatch | None = None
        self._measured: psutil.Process | None = None  # kept: cpu_percent is relative to it

    @classmethod
    def from_config(cls, config: CheckBase, *, http: httpx.AsyncClient) -> ProcessCheck:
        cfg = require_config(config, ProcessCheckConfig)
        return cls(
            cfg.name,
            match_name=cfg.match_name,
            cmdline=cfg.cmdline,
            pidfile=cfg.pidfile,
            watch=cfg.watch,
        )

    def start_watching(self, notify: Callable[[str], None]) -> None:
        """From now on every collection arms a pidfd watch on the pid it found."""
        self.stop_watching()
        if self._watch_enabled:
            self._watch = PidWatch(self.name, notify)

    def stop_watching(self) -> None:
        if self._watch is not None:
            self._watch.clear()
            self._watch = None

    async def collect(self) -> list[Sample]:
        fields, self._measured = await asyncio.to_thread(self._observe, self._measured)
        if self._watch is not None:
            pid = fields.get("pid")
            if fields["alive"] and isinstance(pid, int):
                self._watch.watch(pid)
            else:
                self._watch.clear()
        return [Sample(self.name, self.targets[0], fields)]

    async def matching_pids(self) -> list[int]:
        """The pids this check matches right now: the only ones a `signal` action may touch."""
        try:
            procs = await asyncio.to_thread(self._matcher.find)
        except CheckError:
            return []
        return [p.pid for p in procs]

    def _observe(self, previous: psutil.Process | None) -> tuple[Fields, psutil.Process | None]:
        """Runs in a worker thread: /proc reads block. Returns fields and the measured process."""
        try:
            matches = self._matcher.find()
            for proc in sorted(matches, key=_create_time):
                if previous is not None and proc == previous:
                    proc = previous  # same pid and start time: keep the cpu_percent baseline
                try:
                    fields = _measure(proc, first=proc is not previous)
                except psutil.NoSuchProcess:  # exited (or became a zombie) since the scan
                    continue
                return {**fields, "count": len(matches)}, proc
        except CheckError as exc:
            return {**_DEAD, "error": str(exc)}, None
        except psutil.Error as exc:  # e.g. AccessDenied: we cannot tell, so the check fails
            raise CheckError(f"reading processes failed: {describe_error(exc)}") from None
        return dict(_DEAD), None


def _create_time(proc: psutil.Process) -> float:
    try:
        return proc.create_time()
    except psutil.Error:
        return float("inf")  # vanished: sorted last, and _measure skips it


def _measure(proc: psutil.Process, *, first: bool) -> Fields:
    """Raises psutil.NoSuchProcess when the process is gone or a zombie."""
    with proc.oneshot():
        if proc.status() == psutil.STATUS_ZOMBIE:
            raise psutil.ZombieProcess(proc.pid)
        cpu = proc.cpu_percent(None)  # the first call only sets the baseline
        return {
            "ok": True,
            "alive": True,
            "pid": proc.pid,
            "cpu_percent": None if first else cpu,
            "rss_bytes": _or_none(lambda: proc.memory_info().rss),
            "open_fds": _or_none(proc.num_fds),
            "threads": _or_none(proc.num_threads),
            "uptime_s": round(time.time() - proc.create_time(), 3),
            "error": None,
        }


def _or_none(read: Callable[[], int]) -> int | None:
    try:
        return read()
    except psutil.AccessDenied:
        return None

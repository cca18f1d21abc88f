"""`type: process`: is a process alive, and how heavy is it.

Matched by one of: `match_name` (exact process name), `cmdline` (substring of the command line
joined by spaces), `pidfile` (a pid that must be alive) or `unit` (a systemd unit's MainPID),
where a pidfile or unit may be verified by `match_name` or `cmdline` too. `user` (a name or uid)
narrows any of them to the processes whose real uid is that user's (a pidfile's or unit's pid
run by another user is a stale pidfile). The daemon's own process and zombies never match. When
several processes match, the oldest one (the parent of a pre-forking server, usually) is the one
measured and watched; `count` says how many matched.

A pidfile is read only if it is a regular file (not a symlink, FIFO, device or directory) owned
by root, the daemon's user or `user`; otherwise, like a unit where systemd does not run or an
observation that takes longer than the check's timeout, the state is `unknown` with the error
(no `alive` field: a rule on it neither fires nor clears).

Identity: a process is (pid, start time). The check remembers what it watched; a pidfile that
still names the same pid, now held by a process with another start time, and that was not
rewritten since, means the watched process died and its pid was reused: state `pid_reused`.

Target `process:<check name>`; fields: ok (= alive), alive, state (running | dead |
stale_pidfile | pid_reused | unknown), detail, pid, count, cpu_percent, rss_bytes, open_fds, threads,
uptime_s, error. cpu_percent is None on the first collection of a pid (a rate between two
collections); open_fds is None where the OS denies it (another user's process).
"""

from __future__ import annotations

import asyncio
import pwd
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mapekd.binaries import system_binary
from mapekd.config.checks import CheckBase, ProcessCheckConfig
from mapekd.errors import ConfigError
from mapekd.model import Sample
from mapekd.monitor.base import require_config
from mapekd.monitor.identity import ObservedProcess
from mapekd.monitor.pidwatch import PidWatch
from mapekd.monitor.process_observe import Observation, Observer, unknown
from mapekd.monitor.procfind import ProcessMatcher, UnitSource
from mapekd.monitor.proctable import ProcessTable

if TYPE_CHECKING:
    from mapekd.evidence.exits import ExitBook
    from mapekd.shared_http import SharedHttp

REARM_POLL_S = 0.02
"""How often a restarted process is looked for (a pidfile read, or one scan)."""


class ProcessCheck:
    def __init__(
        self,
        name: str,
        *,
        match_name: str | None = None,
        cmdline: str | None = None,
        pidfile: str | None = None,
        unit: str | None = None,
        user: str | int | None = None,
        watch: bool = True,
        timeout: float = 5.0,
        table: ProcessTable | None = None,
    ) -> None:
        if (match_name and cmdline) or (pidfile and unit) or not (pidfile or unit or match_name or cmdline):
            raise ConfigError(
                "one of match_name, cmdline, pidfile or unit is required (a pidfile or unit may add "
                "match_name or cmdline)",
                path=f"checks.{name}",
            )
        self.name = name
        self.targets = (f"process:{name}",)
        self.timeout = timeout
        scans = not (pidfile or unit)
        self._scan_needs = (bool(cmdline and scans), scans and user is not None)
        """(command lines, uids): what this check's matching reads of a table scan."""
        self.table = table or ProcessTable()
        self._own_table = table is None
        """An own table is scanned afresh at every collection; a shared one once per cycle."""
        self._ask_of(self.table)
        source = UnitSource(unit, system_binary("systemctl"), timeout) if unit else None
        matcher = ProcessMatcher(match_name, cmdline, pidfile, source, _uid_of(user, name))
        self._observer = Observer(matcher, self.table)
        self._watch_enabled = watch
        self._watch: PidWatch | None = None
        self._exits: ExitBook | None = None
        self._observed: list[ObservedProcess] = []
        self.last: Observation | None = None

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> ProcessCheck:
        cfg = require_config(config, ProcessCheckConfig)
        return cls(
            cfg.name,
            match_name=cfg.match_name,
            cmdline=cfg.cmdline,
            pidfile=cfg.pidfile,
            unit=cfg.unit,
            user=cfg.user,
            watch=cfg.watch,
            timeout=cfg.timeout,
        )

    def share_table(self, table: ProcessTable) -> None:
        """Use the cycle's shared process-table scan (the engine's) instead of an own one."""
        self._ask_of(table)
        self.table = self._observer.table = table
        self._own_table = False

    def share_exits(self, exits: ExitBook) -> None:
        """Tell `exits` of every death this check's pidfd watch sees (for the evidence)."""
        self._exits = exits

    def _ask_of(self, table: ProcessTable) -> None:
        cmdlines, uids = self._scan_needs
        if cmdlines:
            table.need_cmdline()
        if uids:
            table.need_uid()

    def start_watching(self, on_event: Callable[[str], None]) -> None:
        """From now on every collection arms a pidfd watch on the process it found; `on_event`
        is called when that process dies."""
        self.stop_watching()
        if self._watch_enabled:
            self._watch = PidWatch(self.name, on_event, self._exits)

    def stop_watching(self) -> None:
        if self._watch is not None:
            self._watch.clear()
            self._watch = None

    def close(self) -> None:
        """Close the handles on the observed processes (the check is being discarded)."""
        for handle in self._observed:
            handle.close()
        self._observed = []
        self._observer.close()

    @property
    def watching(self) -> bool:
        return self._watch is not None

    @property
    def watched_since(self) -> float:
        """time.time() when the process watched now (or the one that just died) was first seen."""
        return self._watch.since if self._watch is not None else 0.0

    @property
    def last_alive(self) -> bool | None:
        """Was the process alive at the last observation (None: not observed yet)?"""
        return self.last.alive if self.last is not None else None

    async def collect(self) -> list[Sample]:
        if self._own_table:
            self.table.invalidate()
        observation = await self._observe()
        self._adopt(observation)
        return [Sample(self.name, self.targets[0], observation.fields)]

    def observed(self) -> list[ObservedProcess]:
        """Handles (own pidfds) on the processes matched at the last collection: the only ones a
        `signal` action may touch. The caller closes them."""
        return [o.copy() for o in self._observed]

    async def await_restart(self, window: float) -> bool:
        """After an action that may (re)start this process: look for it every REARM_POLL_S for up
        to `window` seconds, and arm the watch as soon as it exists, so that a death moments after
        a restart is still seen at once. True when something changed (it came up, or a new
        instance came up and died already): the caller runs a cycle at once."""
        before = self.last
        deadline = time.monotonic() + window
        while time.monotonic() < deadline and self._watch is not None:
            await asyncio.sleep(REARM_POLL_S)
            self.table.invalidate()
            observation = await self._observe()
            if observation.alive or observation.replaces(before):
                self._adopt(observation)
                return True
            observation.close()
        return False

    async def _observe(self) -> Observation:
        """In a worker thread of its own, bounded here so that the check reports why (the
        cycle's hard cap comes later and says only that it took too long)."""
        try:
            return await asyncio.wait_for(self.table.in_worker(self._observer.observe), self.timeout)
        except TimeoutError:
            stuck = "a /proc read, the pidfile or systemctl is stuck"
            return unknown(f"no answer within {self.timeout:g}s ({stuck})")

    def _adopt(self, observation: Observation) -> None:
        """Make `observation` current (on the event loop thread): arm the watch on its process,
        close the handles of the previous one."""
        for old in self._observed:
            old.close()
        self._observed = observation.processes
        self.last = observation
        if self._watch is None:
            return
        if observation.watched is not None:
            if observation.watched.identity != self._watch.identity:  # else: watched already
                self._watch.watch(observation.watched.copy())
        else:
            self._watch.clear()


def _uid_of(user: str | int | None, check: str) -> int | None:
    """The uid `user` names (a uid, or a user name resolved once, now)."""
    if user is None or isinstance(user, int):
        return user
    if user.isdigit():
        return int(user)
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        raise ConfigError(f"no such user {user!r}", path=f"checks.{check}.user") from None

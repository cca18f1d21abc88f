"""The watchdog pinger: WATCHDOG=1 every half watchdog period, but only while the loop is healthy.

Healthy means a cycle completed recently: within max(3 x daemon.interval, the watchdog period).
A cycle stuck in a check or an action stops the pings, and so does a blocked event loop (the
pinger is a task on that loop), so systemd's WatchdogSec= restarts a daemon that stopped working
rather than one that merely stayed alive."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping

from mapekd.service.notify import Notifier

log = logging.getLogger("mapekd.service")
HEALTHY_INTERVALS = 3


def watchdog_period(env: Mapping[str, str], pid: int) -> float | None:
    """The period systemd expects pings at, in seconds, or None when no watchdog is armed for us
    (WATCHDOG_USEC unset or invalid, or WATCHDOG_PID naming another process)."""
    owner = env.get("WATCHDOG_PID")
    if owner is not None and owner != str(pid):
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 1_000_000 if usec > 0 else None


class Watchdog:
    def __init__(
        self,
        notifier: Notifier,
        period: float,
        *,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.notifier = notifier
        self.period = period
        self.interval = interval
        self.clock = clock
        self.last_cycle = clock()
        self._withholding = False
        self._task: asyncio.Task[None] | None = None

    @property
    def allowed_gap(self) -> float:
        """How long after the last completed cycle the loop still counts as healthy."""
        return max(HEALTHY_INTERVALS * self.interval, self.period)

    def cycle_completed(self, interval: float) -> None:
        """A cycle returned; `interval` is the current one (a reload may change it)."""
        self.last_cycle = self.clock()
        self.interval = interval

    def healthy(self) -> bool:
        return self.clock() - self.last_cycle <= self.allowed_gap

    def tick(self) -> bool:
        """Ping if healthy; log once when pings start being withheld and when they resume."""
        if self.healthy():
            if self._withholding:
                self._withholding = False
                log.warning("a cycle completed again; watchdog pings resume", extra={"event": _event(False)})
            return self.notifier.watchdog()
        if not self._withholding:
            self._withholding = True
            since = round(self.clock() - self.last_cycle, 1)
            log.error(
                f"no cycle completed for {since}s; withholding WATCHDOG=1 so systemd restarts the daemon",
                extra={"event": {**_event(True), "since_s": since}},
            )
        return False

    def start(self) -> None:
        self.last_cycle = self.clock()  # the first cycle gets a full allowance from now on
        self._task = asyncio.get_running_loop().create_task(self._run(), name="watchdog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.period / 2)
            self.tick()


def _event(withheld: bool) -> dict[str, object]:
    return {"event": "watchdog_withheld" if withheld else "watchdog_resumed"}

"""The watchdog pinger: WATCHDOG=1 every half watchdog period, but only while the loop is healthy.

Healthy means every check group completed a collection recently: within max(3 x its interval,
the watchdog period). A group stuck in a check or an action stops the pings, and so does a
blocked event loop (the pinger is a task on that loop), so systemd's WatchdogSec= restarts a
daemon that stopped working rather than one that merely stayed alive. A 1 s group hung for
seconds is caught although a 30 s group beside it is on time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from mapekd.schedule.freshness import Freshness, Late
from mapekd.service.sd_notify import SdNotify

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
    def __init__(self, sd_notify: SdNotify, period: float, freshness: Freshness) -> None:
        self.sd_notify = sd_notify
        self.period = period
        self.freshness = freshness
        self._withholding = False
        self._task: asyncio.Task[None] | None = None

    def allowance(self, interval: float) -> float:
        """How long after its last completed collection a group of `interval` is still healthy."""
        return max(HEALTHY_INTERVALS * interval, self.period)

    def late(self) -> list[Late]:
        return self.freshness.late(self.allowance)

    def healthy(self) -> bool:
        return not self.late()

    def tick(self) -> bool:
        """Ping if healthy; log once when pings start being withheld and when they resume."""
        late = self.late()
        if not late:
            if self._withholding:
                self._withholding = False
                log.warning(
                    "every check group collected again; watchdog pings resume", extra={"event": _event(False)}
                )
            return self.sd_notify.watchdog()
        if not self._withholding:
            self._withholding = True
            worst = max(late, key=lambda g: g.age_s)
            log.error(
                f"check group {worst.group} not collected for {worst.age_s}s (allowed {worst.allowed_s:g}s); "
                "withholding WATCHDOG=1 so systemd restarts the daemon",
                extra={"event": {**_event(True), "since_s": worst.age_s, "groups": [g.group for g in late]}},
            )
        return False

    def start(self) -> None:
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

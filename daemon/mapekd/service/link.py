"""What the daemon tells systemd: the few hooks the runner calls, over sd_notify and the watchdog.

READY=1 once the configuration is loaded, the knowledge base open and the first cycle done;
RELOADING=1 ... READY=1 around a reload (also when the new configuration is refused);
STOPPING=1 on SIGTERM; STATUS= after each collection; WATCHDOG=1 from the pinger. Outside systemd
(no NOTIFY_SOCKET) all of it is a no-op."""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from mapekd.errors import MapekdError
from mapekd.schedule.freshness import Freshness
from mapekd.service.sd_notify import SdNotify
from mapekd.service.status import describe
from mapekd.service.watchdog import HEALTHY_INTERVALS, Watchdog, watchdog_period

if TYPE_CHECKING:
    from mapekd.engine import Engine

log = logging.getLogger("mapekd.service")


class ServiceLink:
    def __init__(self, sd_notify: SdNotify, watchdog: Watchdog | None) -> None:
        self.sd_notify = sd_notify
        self.watchdog = watchdog
        self.status = "starting"

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, freshness: Freshness, pid: int) -> ServiceLink:
        """From the daemon's environment as systemd set it (NOTIFY_SOCKET, WATCHDOG_USEC,
        WATCHDOG_PID); `env` is handed down from the command line entry point."""
        sd_notify = SdNotify(env.get("NOTIFY_SOCKET"))
        period = watchdog_period(env, pid) if sd_notify.enabled else None
        return cls(sd_notify, Watchdog(sd_notify, period, freshness) if period else None)

    def start_watchdog(self) -> None:
        if self.watchdog is not None:
            self.watchdog.start()
            log.info(
                "watchdog pings armed",
                extra={
                    "event": {
                        "event": "watchdog_armed",
                        "period_s": self.watchdog.period,
                        "healthy_intervals": HEALTHY_INTERVALS,
                    }
                },
            )

    def cycle_done(self, engine: Engine, *, failed: bool = False) -> None:
        if not self.sd_notify.enabled:
            return  # describing the loop reads the knowledge base: only when someone listens
        try:
            status = describe(engine, cycle_failed=failed)
        except MapekdError as exc:  # the status line must never break the loop it describes
            status = f"degraded: cannot read the loop state: {exc}"
        if status != self.status:
            self.status = status
            self.sd_notify.status(status)

    def ready(self) -> None:
        self.sd_notify.ready(self.status)

    async def reloading(self, reload: Coroutine[Any, Any, None]) -> None:
        """Run `reload` between RELOADING=1 and READY=1: systemd's reload job waits for both."""
        self.sd_notify.reloading()
        try:
            await reload
        finally:
            self.sd_notify.ready(self.status)

    async def stopping(self) -> None:
        self.sd_notify.stopping()
        if self.watchdog is not None:
            await self.watchdog.stop()

    def close(self) -> None:
        self.sd_notify.close()

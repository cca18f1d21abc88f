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
from mapekd.service.notify import Notifier
from mapekd.service.status import describe
from mapekd.service.watchdog import HEALTHY_INTERVALS, Watchdog, watchdog_period

if TYPE_CHECKING:
    from mapekd.engine import Engine

log = logging.getLogger("mapekd.service")


class ServiceLink:
    def __init__(self, notifier: Notifier, watchdog: Watchdog | None) -> None:
        self.notifier = notifier
        self.watchdog = watchdog
        self.status = "starting"

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, freshness: Freshness, pid: int) -> ServiceLink:
        """From the daemon's environment as systemd set it (NOTIFY_SOCKET, WATCHDOG_USEC,
        WATCHDOG_PID); `env` is handed down from the command line entry point."""
        notifier = Notifier(env.get("NOTIFY_SOCKET"))
        period = watchdog_period(env, pid) if notifier.enabled else None
        return cls(notifier, Watchdog(notifier, period, freshness) if period else None)

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
        if not self.notifier.enabled:
            return  # describing the loop reads the knowledge base: only when someone listens
        try:
            status = describe(engine, cycle_failed=failed)
        except MapekdError as exc:  # the status line must never break the loop it describes
            status = f"degraded: cannot read the loop state: {exc}"
        if status != self.status:
            self.status = status
            self.notifier.status(status)

    def ready(self) -> None:
        self.notifier.ready(self.status)

    async def reloading(self, reload: Coroutine[Any, Any, None]) -> None:
        """Run `reload` between RELOADING=1 and READY=1: systemd's reload job waits for both."""
        self.notifier.reloading()
        try:
            await reload
        finally:
            self.notifier.ready(self.status)

    async def stopping(self) -> None:
        self.notifier.stopping()
        if self.watchdog is not None:
            await self.watchdog.stop()

    def close(self) -> None:
        self.notifier.close()

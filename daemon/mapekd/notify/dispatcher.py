"""Delivering notices to sinks (webhook and email actions): in background tasks, retried with
backoff, each delivery recorded as an execution (kind `notify`) of the decision it is about.
Never raises into the loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from mapekd.config.settings import NotificationsConfig
from mapekd.execute.base import ExecResult
from mapekd.execute.records import finished_row
from mapekd.knowledge.base import Store
from mapekd.notify.notice import Notice

if TYPE_CHECKING:
    from mapekd.notify.sink import NoticeSink

log = logging.getLogger("mapekd.notify")


class Notifier:
    def __init__(
        self,
        config: NotificationsConfig,
        escalate: str | None,
        sinks: Mapping[str, NoticeSink],
        store: Store,
        *,
        dry_run: bool,
        scrub: Callable[[str], str] = str,
    ) -> None:
        self.scrub = scrub
        """Masks secrets in a sink's answer before it is stored."""
        self.config = config
        self.escalate = escalate
        self.sinks = dict(sinks)
        self.store = store
        self.dry_run = dry_run
        self.tasks: set[asyncio.Task[None]] = set()

    def targets(self, notice: Notice) -> list[str]:
        names = list(self.config.sinks) if notice.event in self.config.events else []
        if notice.event == "gave_up" and self.escalate and self.escalate not in names:
            names.insert(0, self.escalate)
        return names

    def send(self, notice: Notice) -> None:
        """Schedule one delivery per sink; returns at once."""
        for name in self.targets(notice):
            try:
                execution_id = self._start(notice, name)
            except Exception:  # recording failed: the loop must go on all the same
                log.exception("cannot record notification", extra={"event": {"sink": name}})
                continue
            task = asyncio.create_task(self._deliver(notice, name, execution_id))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def _start(self, notice: Notice, sink: str) -> int:
        return self.store.start_execution(
            {
                "decision_id": notice.decision_id,
                "incident_id": notice.incident_id,
                "action": sink,
                "target": notice.target,
                "started_at": time.time(),
                "kind": "notify",
                "event": notice.event,
                "state": "would_execute" if self.dry_run else "started",
            }
        )

    async def _deliver(self, notice: Notice, sink: str, execution_id: int) -> None:
        try:
            if self.dry_run:
                self.store.finish_execution(execution_id, finished_row(None))
                return
            result, attempts = await self._attempts(notice, sink)
            self.store.finish_execution(
                execution_id, {**finished_row(result, self.scrub), "attempts": attempts}
            )
            log.log(
                logging.ERROR if notice.event == "gave_up" else logging.WARNING,
                "notification sent" if result.state == "succeeded" else "notification failed",
                extra={
                    "event": {
                        "event": "escalation" if notice.event == "gave_up" else "notify",
                        "notice": notice.event,
                        "incident": notice.incident_id,
                        "action": sink,
                        "state": result.state,
                        "attempts": attempts,
                        "error": result.error,
                    }
                },
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # a broken sink or store never breaks the loop
            log.exception("notification delivery failed", extra={"event": {"sink": sink}})

    async def _attempts(self, notice: Notice, sink: str) -> tuple[ExecResult, int]:
        action = self.sinks[sink]
        delay = self.config.backoff
        for attempt in range(1, self.config.attempts + 1):
            result = await action.deliver(notice)
            if result.state == "succeeded" or attempt == self.config.attempts:
                return result, attempt
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.max_backoff)
        raise AssertionError("unreachable: attempts >= 1")

    async def drain(self, timeout: float) -> None:
        """Shutdown: let deliveries in flight finish; what is left is recorded as interrupted."""
        if self.tasks:
            _, pending = await asyncio.wait(list(self.tasks), timeout=timeout)
            for task in pending:
                task.cancel()

"""Work for one incident that runs off the cycle (a decision waiting for the LLM, an analysis):
at most one task per incident and kind; a failure is logged and never raises into the loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("mapekd.decision")


class IncidentTasks:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def __contains__(self, incident_id: int) -> bool:
        return incident_id in self.tasks

    def spawn(self, incident_id: int, work: Coroutine[Any, Any, None]) -> None:
        self.tasks[incident_id] = asyncio.create_task(self._guarded(incident_id, work))

    async def _guarded(self, incident_id: int, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:  # logged; the loop and the incident go on
            log.exception(
                f"{self.kind} failed",
                extra={"event": {"event": f"{self.kind}_failed", "incident": incident_id}},
            )
        finally:
            if self.tasks.get(incident_id) is asyncio.current_task():
                self.tasks.pop(incident_id, None)

"""One inference at a time on the local model, and a bounded number of calls waiting for it:
past MAX_WAITING a call fails at once (Overloaded) instead of queueing model work without end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from mapekd.llm.errors import Overloaded

MAX_WAITING = 2
"""Calls that may wait while one inference runs."""


class Turns:
    """One inference at a time, and at most `max_waiting` calls waiting for their turn."""

    def __init__(self, provider: str, max_waiting: int = MAX_WAITING) -> None:
        self._provider = provider
        self._max_waiting = max_waiting
        self._lock = asyncio.Lock()
        self._waiting = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._waiting >= self._max_waiting:  # waiters exist only while an inference runs
            raise Overloaded(self._provider, f"busy: one inference running, {self._waiting} waiting")
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._lock.release()

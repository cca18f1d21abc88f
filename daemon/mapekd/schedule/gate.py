"""The gate collections pass through, which a reload closes while it swaps the engine.

A reload waits until no collection is inside (not for the tasks to end: a group's task that
finished one collection may go on to the next, and that one waits at the closed gate), swaps,
and opens again; collections that arrived meanwhile then run on the new engine. A shutdown
waits the same way, within its grace period, and cancels what is still inside."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class CollectionGate:
    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._inside: set[asyncio.Task[object]] = set()

    @contextlib.asynccontextmanager
    async def passage(self) -> AsyncIterator[None]:
        """One collection: waits while the gate is closed, then counts as inside until it ends."""
        await self._open.wait()
        task = asyncio.current_task()
        assert task is not None, "a collection runs in a task"
        self._inside.add(task)
        self._quiet.clear()
        try:
            yield
        finally:
            self._inside.discard(task)
            if not self._inside:
                self._quiet.set()

    @contextlib.asynccontextmanager
    async def closed(self) -> AsyncIterator[None]:
        """No collection inside, none let in, until the block ends."""
        self._open.clear()
        try:
            await self._quiet.wait()
            yield
        finally:
            self._open.set()

    async def drain(self, timeout: float) -> list[asyncio.Task[object]]:
        """Wait up to `timeout` for no collection to be inside; cancel those still inside and
        return them (empty when all finished in time)."""
        try:
            async with asyncio.timeout(timeout):
                await self._quiet.wait()
            return []
        except TimeoutError:
            late = list(self._inside)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            return late

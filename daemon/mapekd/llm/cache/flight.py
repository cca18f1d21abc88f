"""Single flight: concurrent calls with the same key share one execution.

The first caller (the leader) runs the work inline (no extra task, so no overhead when nothing is
shared); followers await its outcome, exceptions included. If the leader is cancelled, its
followers are not: each of them runs again (one becomes the new leader).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class _LeaderCancelled(Exception):
    pass


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._flights: dict[Hashable, asyncio.Future[T]] = {}
        self.shared = 0
        """Calls answered by another caller's execution."""

    def in_flight(self) -> int:
        return len(self._flights)

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """The result, and whether it was shared (True: another caller's execution made it)."""
        while True:
            flight = self._flights.get(key)
            if flight is None:
                return await self._lead(key, work), False
            try:
                result = await asyncio.shield(flight)
            except _LeaderCancelled:
                continue
            self.shared += 1
            return result, True

    async def _lead(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        flight: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            result = await work()
        except asyncio.CancelledError:
            flight.set_exception(_LeaderCancelled())
            raise
        except BaseException as exc:
            flight.set_exception(exc)
            raise
        else:
            flight.set_result(result)
            return result
        finally:
            del self._flights[key]
            if flight.done() and not flight.cancelled():
                flight.exception()  # mark retrieved: no "exception never retrieved" warning

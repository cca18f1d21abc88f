"""Keep-alive HTTP/1.1 connections per origin, as httpx's pool keeps them: at most
`max_connections` requests at once (the others wait, up to the pool timeout), at most `max_idle`
idle connections per origin, each dropped after `keepalive_expiry` seconds of idleness."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping

import httpx

from mapekd.llm.providers.http_connection import Connection

Origin = tuple[str, int]
Timeouts = Mapping[str, float | None]
"""httpx's timeout extension: connect, read, write, pool (None: no limit)."""


class ConnectionPool:
    def __init__(
        self, *, max_connections: int = 100, max_idle: int = 20, keepalive_expiry: float = 5.0
    ) -> None:
        self._max_connections = max_connections
        self._max_idle = max_idle
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, list[Connection]] = {}
        self._active = 0
        self._queue: deque[asyncio.Future[None]] = deque()

    async def open(self, origin: Origin, request: bytes, timeouts: Timeouts) -> Connection:
        """A connection that has sent `request` and received its response's head; give it back
        with `release` once the body is read (or abandoned)."""
        await self._take_slot(timeouts.get("pool"))
        conn: Connection | None = None
        try:
            conn = self._reuse(origin) or await _connect(origin, timeouts.get("connect"))
            await conn.send(request, timeouts.get("write"))
            await conn.response_head(timeouts.get("read"))
        except BaseException:
            if conn is not None:
                conn.close()
            self._give_slot()
            raise
        return conn

    def release(self, conn: Connection, origin: Origin) -> None:
        """Kept for the next request when its response was read whole and the server agrees."""
        conns = self._idle.setdefault(origin, [])
        if conn.reusable and len(conns) < self._max_idle:
            conn.idle_since = time.monotonic()
            conns.append(conn)
        else:
            conn.close()
        self._give_slot()

    def close(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()

    def _reuse(self, origin: Origin) -> Connection | None:
        conns = self._idle.get(origin)
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        while conns:
            conn = conns.pop()  # the most recently used: the likeliest to be still open
            if conn.loop is loop and now - conn.idle_since < self._expiry and not conn.stale():
                return conn
            conn.close()
        return None

    async def _take_slot(self, pool_timeout: float | None) -> None:
        if self._active < self._max_connections:
            self._active += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._queue.append(waiter)
        try:
            async with asyncio.timeout(pool_timeout):
                await waiter  # the slot is handed over by _give_slot
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self._give_slot()  # handed over just as we gave up: pass it on
            else:
                waiter.cancel()  # _give_slot skips it
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout("no connection became free in time") from None
            raise

    def _give_slot(self) -> None:
        while self._queue:
            waiter = self._queue.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._active -= 1


async def _connect(origin: Origin, timeout: float | None) -> Connection:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            _, conn = await loop.create_connection(Connection, *origin)
    except TimeoutError:
        raise httpx.ConnectTimeout(f"no connection to {origin[0]}:{origin[1]} in time") from None
    except OSError as exc:
        raise httpx.ConnectError(f"cannot connect to {origin[0]}:{origin[1]}: {exc}") from exc
    return conn

"""One keep-alive HTTP/1.1 client connection: an asyncio Protocol carrying one request at a time,
its response parsed as the bytes arrive (http_response). Failures are raised as httpx's exception
types, so a provider maps them exactly as it maps httpcore's."""

from __future__ import annotations

import asyncio
import contextlib
import select
from typing import cast

import httptools
import httpx

from mapekd.llm.providers.http_response import ParsedResponse

HIGH_WATER = 256 * 1024
"""Body bytes buffered before the socket stops being read (a slow consumer of a large answer)."""


class Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.response = ParsedResponse()
        """The response to the last request sent."""
        self._expecting = False
        self._error: httpx.TransportError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    @property
    def reusable(self) -> bool:
        """The last response was read whole and the server keeps the connection open."""
        return self.response.complete and self.response.keep_alive and not self.closed

    # asyncio.Protocol ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        response = self.response
        if not self._expecting or response.complete:  # bytes nobody asked for: not to be trusted
            self.close()
            return
        try:
            response.feed(data)
        except httptools.HttpParserError as exc:
            if not response.complete:  # else only what follows the answer is wrong
                self._fail(httpx.RemoteProtocolError(f"invalid HTTP response: {exc}"))
            self.close()
        if response.buffered > HIGH_WATER and not self.closed and self.transport is not None:
            self.transport.pause_reading()
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        response = self.response
        if self._expecting and self._error is None and not response.end_of_input():
            if response.head_done:
                self._fail(httpx.RemoteProtocolError("peer closed connection without sending complete body"))
            else:
                self._fail(httpx.RemoteProtocolError("server disconnected without sending a response"))
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self._writable = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    # the client's side -----------------------------------------------------------------------
    async def send(self, data: bytes, write_timeout: float | None) -> None:
        """Write one request; its response is parsed from now on."""
        assert self.transport is not None
        self.response = ParsedResponse()
        self._expecting = True
        self._error = None
        self.transport.write(data)
        if self._writable is not None:
            try:
                async with asyncio.timeout(write_timeout):
                    await asyncio.shield(self._writable)
            except TimeoutError:
                raise httpx.WriteTimeout("the request could not be written in time") from None

    async def response_head(self, read_timeout: float | None) -> None:
        while not self.response.head_done:
            await self._wait(read_timeout)

    async def next_chunk(self, read_timeout: float | None) -> bytes | None:
        """The next piece of the body; None once it is complete."""
        response = self.response
        while (piece := response.take()) is None:
            if response.complete:
                return None
            await self._wait(read_timeout)
        if response.buffered <= HIGH_WATER // 2 and not self.closed and self.transport is not None:
            self.transport.resume_reading()
        return piece

    def stale(self) -> bool:
        """Closed, or readable while idle: the server has closed it (or sent bytes nobody asked
        for) and the loop has not seen it yet. As httpcore checks before reusing a connection."""
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        if self.closed or sock is None:
            return True
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        return bool(poller.poll(0))

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            with contextlib.suppress(RuntimeError):  # its loop is closed: the socket goes with it
                self.transport.close()
        self.closed = True

    async def _wait(self, timeout: float | None) -> None:
        if self._error is None and not self.closed:
            self._waiter = self.loop.create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self._waiter
            except TimeoutError:
                raise httpx.ReadTimeout("no data from the server in time") from None
            finally:
                self._waiter = None
        if self._error is not None:
            raise self._error
        if self.closed and not self.response.complete:
            raise httpx.ReadError("the connection is closed")

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, error: httpx.TransportError) -> None:
        self._error = error
        self._wake()

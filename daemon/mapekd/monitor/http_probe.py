"""A small HTTP/1.1 client for health checks: one request per connection, an asyncio protocol.

Why not httpx (which the Prometheus checks and the webhook action use): an HTTP check runs every
cycle and needs only a status line, sometimes the start of a body. Through httpx one such
request costs about 1.1 ms of CPU; over plain streams, a quarter of that (bench/footprint.py).

What it does: http and https (certificates verified against the system's trust store), any
method without a request body, extra headers, `Connection: close` and `Accept-Encoding:
identity`; the answer is read by monitor/http_answer.py, its body only when asked. It follows no
redirect (a 3xx is a status like any other), uses no proxy (a health check goes to the service
itself) and keeps no cookies.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import cast
from urllib.parse import urlsplit

from mapekd.monitor.http_answer import NO_BODY, Answer, parse_body, parse_head
from mapekd.monitor.http_errors import ConnectError, ProbeError, ReadError


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    tls: bool
    target: str
    """The request target: path and query."""
    authority: str
    """The Host header."""

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """Raises ValueError for anything but an absolute http(s) URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.hostname, port, tls, target, parts.netloc.rpartition("@")[2])


@cache
def system_tls() -> ssl.SSLContext:
    """One verifying TLS context per process, built on first use (loading the trust store costs)."""
    return ssl.create_default_context()


def request_head(endpoint: Endpoint, method: str, headers: Mapping[str, str]) -> bytes:
    fields = {
        "host": ("Host", endpoint.authority),
        "user-agent": ("User-Agent", "mapekd"),
        "accept": ("Accept", "*/*"),
        "accept-encoding": ("Accept-Encoding", "identity"),
    }
    fields.update({name.lower(): (name, value) for name, value in headers.items()})
    fields["connection"] = ("Connection", "close")
    if method in ("POST", "PUT", "PATCH"):
        fields["content-length"] = ("Content-Length", "0")
    lines = [f"{method} {endpoint.target} HTTP/1.1", *(f"{n}: {v}" for n, v in fields.values())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def fetch(
    endpoint: Endpoint,
    method: str,
    headers: Mapping[str, str],
    *,
    body_limit: int | None = None,
    tls: ssl.SSLContext | None = None,
    head: bytes | None = None,
) -> Answer:
    """One request; the caller bounds it in time. Raises ProbeError (monitor/http_errors.py).
    `head`: the request head already built by `request_head` (a check sends the same every time)."""
    context = (tls or system_tls()) if endpoint.tls else None
    request = head if head is not None else request_head(endpoint, method, headers)
    exchange = _Exchange(request, None if method == "HEAD" else body_limit)
    try:
        transport, _ = await asyncio.get_running_loop().create_connection(
            lambda: exchange, endpoint.host, endpoint.port, ssl=context
        )
    except OSError as exc:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
        raise ConnectError(str(exc) or type(exc).__name__) from None
    try:
        return await exchange.answer
    finally:
        transport.close()


class _Exchange(asyncio.Protocol):
    """Sends the request, gathers the answer, parses it as it comes (a protocol, not streams:
    half the objects and callbacks per request)."""

    def __init__(self, request: bytes, body_limit: int | None) -> None:
        self.answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._request, self._limit = request, body_limit
        self._buffer = bytearray()
        self._head: tuple[int, dict[str, str], int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.WriteTransport, transport).write(self._request)

    def data_received(self, data: bytes) -> None:
        if not self.answer.done():
            self._buffer += data
            self._advance(closed=False)

    def eof_received(self) -> None:
        self._advance(closed=True)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and not self.answer.done():
            self.answer.set_exception(ReadError(str(exc) or type(exc).__name__))
        self._advance(closed=True)

    def _advance(self, *, closed: bool) -> None:
        if self.answer.done():
            return
        try:
            answer = self._parse(closed)
        except ProbeError as exc:
            self.answer.set_exception(exc)
            return
        if answer is not None:
            self.answer.set_result(answer)

    def _parse(self, closed: bool) -> Answer | None:
        if self._head is None:
            self._head = parse_head(self._buffer, closed)
            if self._head is None:
                return None
        status, fields, end = self._head
        if self._limit is None or status in NO_BODY:
            return Answer(status, fields, None)
        body = parse_body(bytes(self._buffer[end:]), fields, self._limit, closed)
        return None if body is None else Answer(status, fields, *body)

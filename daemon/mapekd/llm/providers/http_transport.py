"""A lean httpx transport for plain-HTTP upstreams (local model servers: llama.cpp, vLLM, Ollama):
keep-alive HTTP/1.1 connections on asyncio (http_pool), responses parsed by httptools. httpx's own
transport (httpcore over anyio, a pure-Python parser) costs about 0.3 ms per call on loopback.
httpx stays the client: headers, JSON, streaming and its exception types are unchanged, and so
are the providers' error mappings.

https and proxied upstreams keep httpx's transport (TLS, proxies from the environment): there the
network takes far longer than the parsing anyway.
"""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator

import httpx

from mapekd.llm.providers.http_connection import Connection
from mapekd.llm.providers.http_pool import ConnectionPool, Origin


def lean_transport_for(base_url: str) -> LeanTransport | None:
    """The lean transport for a plain-HTTP base URL no proxy applies to; None: httpx's own."""
    if httpx.URL(base_url).scheme != "http":
        return None
    proxies = urllib.request.getproxies()  # what httpx itself would honour (trust_env)
    return None if "http" in proxies or "all" in proxies else LeanTransport()


def origin_of(url: httpx.URL) -> Origin:
    return (url.host, url.port or 80)


class LeanTransport(httpx.AsyncBaseTransport):
    def __init__(self, pool: ConnectionPool | None = None) -> None:
        self.pool = pool or ConnectionPool()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"the lean transport speaks plain HTTP, not {request.url.scheme}")
        timeouts = request.extensions.get("timeout", {})
        origin = origin_of(request.url)
        conn = await self.pool.open(origin, await _serialize(request), timeouts)
        if request.method == "HEAD":
            conn.response.without_body()
        return httpx.Response(
            conn.response.status,
            headers=conn.response.headers,
            stream=_Body(self.pool, conn, origin, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": conn.response.reason},
        )

    async def aclose(self) -> None:
        self.pool.close()


async def _serialize(request: httpx.Request) -> bytes:
    body = await request.aread()
    head = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), request.url.raw_path)]
    head += [b"%s: %s\r\n" % pair for pair in request.headers.raw]
    head.append(b"\r\n")
    if request.headers.get("transfer-encoding", "").lower() == "chunked":
        body = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
    return b"".join(head) + body


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection; closing it hands the connection back."""

    def __init__(self, pool: ConnectionPool, conn: Connection, origin: Origin, read: float | None) -> None:
        self._pool = pool
        self._conn: Connection | None = conn
        self._origin = origin
        self._read = read

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self._conn is not None and (chunk := await self._conn.next_chunk(self._read)) is not None:
            yield chunk

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.release(conn, self._origin)  # unread: closed, not reused

"""Plain JSON calls (a chat completion, the models list) straight over the lean transport's
connections. httpx's client builds and parses URLs, headers and cookies on every call, another
0.1 ms on loopback; here the request head is what httpx builds, once per method and path, and
only the body and its length change. The answer comes back as an httpx.Response, so statuses,
Retry-After and content encodings are read exactly as on the httpx path.

Streams keep going through httpx (over the same lean transport): their setup cost is paid once
per answer, not once per token."""

from __future__ import annotations

import json
from typing import Any

import httpx

from mapekd.llm.providers.http_pool import ConnectionPool, Origin
from mapekd.llm.providers.http_transport import origin_of


class DirectJson:
    def __init__(self, client: httpx.AsyncClient, pool: ConnectionPool) -> None:
        self._client = client
        self._pool = pool
        self._timeouts = client.timeout.as_dict()
        self._heads: dict[tuple[str, str, bool], tuple[Origin, bytes]] = {}

    async def request(self, method: str, path: str, payload: Any | None = None) -> httpx.Response:
        origin, head = self._head(method, path, payload is not None)
        if payload is None:
            data = head + b"\r\n"
        else:
            # As httpx encodes `json=`: compact, UTF-8, no NaN.
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            data = b"%scontent-length: %d\r\n\r\n%s" % (head, len(body), body)
        conn = await self._pool.open(origin, data, self._timeouts)
        parts = []
        try:
            while (chunk := await conn.next_chunk(self._timeouts["read"])) is not None:
                parts.append(chunk)
        finally:
            self._pool.release(conn, origin)
        return httpx.Response(
            conn.response.status,
            headers=conn.response.headers,
            content=b"".join(parts),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": conn.response.reason},
        )

    def _head(self, method: str, path: str, with_body: bool) -> tuple[Origin, bytes]:
        """The request line and headers httpx sends for this call, without Content-Length."""
        key = (method, path, with_body)
        cached = self._heads.get(key)
        if cached is None:
            request = self._client.build_request(method, path, json={} if with_body else None)
            lines = [b"%s %s HTTP/1.1\r\n" % (method.encode("ascii"), request.url.raw_path)]
            lines += [
                b"%s: %s\r\n" % (k, v) for k, v in request.headers.raw if k.lower() != b"content-length"
            ]
            cached = self._heads[key] = (origin_of(request.url), b"".join(lines))
        return cached

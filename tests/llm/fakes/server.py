"""A loopback HTTP/1.1 server with per-test scripted replies, for the provider wire formats.

Each request is handed to a handler that returns a Reply: a plain body, a body streamed as
chunked transfer encoding (one flush per piece), a connection cut before the body is complete,
or a stall (no answer until the server stops) for timeouts.
"""

from __future__ import annotations

import asyncio
import http
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: list[bytes] | None = None
    """Streamed body pieces (chunked transfer encoding)."""
    cut: bool = False
    """Close the connection before the body is complete."""
    stall: bool = False
    """Send nothing until the server stops."""

    @classmethod
    def json(cls, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(
            status=status,
            body=json.dumps(value).encode(),
            headers={"content-type": "application/json", **(headers or {})},
        )


Handler = Callable[[Request], Reply]


class FakeServer:
    def __init__(self, handler: Handler, port: int = 0) -> None:
        self.handler = handler
        self.port = port
        """0: any free port; a fixed one lets a restarted fake answer where the old one did."""
        self.requests: list[Request] = []
        self.url = ""
        self._server: asyncio.Server | None = None
        self._released = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> FakeServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._released.set()
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while (request := await _read_request(reader)) is not None:
                self.requests.append(request)
                if not await self._reply(self.handler(request), writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _reply(self, reply: Reply, writer: asyncio.StreamWriter) -> bool:
        """Send one reply; False when the connection must close."""
        if reply.stall:
            await self._released.wait()
            return False
        phrase = _phrase(reply.status)
        head = [f"HTTP/1.1 {reply.status} {phrase}"]
        head += [f"{k}: {v}" for k, v in reply.headers.items()]
        if reply.chunks is None:
            length = len(reply.body) + (64 if reply.cut else 0)
            head.append(f"content-length: {length}")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + reply.body)
        else:
            head.append("transfer-encoding: chunked")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
            for piece in reply.chunks:
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
            if not reply.cut:
                writer.write(b"0\r\n\r\n")
        await writer.drain()
        return not reply.cut


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Request(method, path, headers, body)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"

"""A loopback server that answers each HTTP/1.1 request with scripted raw bytes (any framing,
broken ones included) and counts the connections it accepts, for the HTTP transport's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass
class RawRequest:
    line: str
    headers: dict[str, str]
    body: bytes
    connection: int
    """1 for the first connection the server accepted, 2 for the next..."""


@dataclass
class Answer:
    data: bytes | list[bytes] = b""
    """One write, or pieces written one by one, waiting for `gate` before each but the first."""
    gate: asyncio.Event | None = None
    close: bool = False
    """Close the connection once `data` is written."""
    stall: bool = False
    """Write nothing until the server stops."""


Respond = Callable[[RawRequest], Awaitable[Answer]]


def response(body: bytes = b"{}", status: str = "200 OK", *headers: str, length: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers]
    if length:
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def gated_chunks(gate: asyncio.Event, first: bytes, *rest: bytes) -> Answer:
    """A chunked body whose first piece is sent at once, the others once `gate` is set."""
    head = response(b"", "200 OK", "transfer-encoding: chunked", length=False)
    pieces = [b"%x\r\n%s\r\n" % (len(p), p) for p in (first, *rest)]
    pieces[-1] += b"0\r\n\r\n"
    return Answer([head + pieces[0], *pieces[1:]], gate=gate)


async def ok(_: RawRequest) -> Answer:
    return Answer(response(b'{"ok":true}', "200 OK", "content-type: application/json"))


class RawServer:
    def __init__(self, respond: Respond = ok) -> None:
        self.respond = respond
        self.requests: list[RawRequest] = []
        self.connections = 0
        self._released = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._released.set()
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        number = self.connections
        self._writers.add(writer)
        try:
            while (request := await _read(reader, number)) is not None:
                self.requests.append(request)
                answer = await self.respond(request)
                if answer.stall:
                    await self._released.wait()
                    break
                await _write(writer, answer)
                if answer.close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            self._handlers.discard(task)
            writer.close()


async def _write(writer: asyncio.StreamWriter, answer: Answer) -> None:
    pieces = [answer.data] if isinstance(answer.data, bytes) else answer.data
    for i, piece in enumerate(pieces):
        if i and answer.gate is not None:
            await answer.gate.wait()
        writer.write(piece)
        await writer.drain()


async def _read(reader: asyncio.StreamReader, connection: int) -> RawRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    line, *rest = head.decode("latin-1").split("\r\n")
    headers = {}
    for item in rest:
        if ":" in item:
            name, value = item.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawRequest(line, headers, body, connection)

"""Bounded reading of httpx responses (mapekd.http_caps) against a raw server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from mapekd.http_caps import LineTooLong, capped_lines, read_at_most, read_tail, read_whole

Serve = Callable[[bytes], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Servers answering every request with the given raw bytes, then closing."""
    servers: list[asyncio.Server] = []

    async def start(raw: bytes) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(raw)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def chunked(*pieces: bytes, headers: bytes = b"") -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    return b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n" + headers + b"\r\n" + body


async def lines_of(url: str, line_limit: int, total_limit: int) -> list[str]:
    async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
        return [line async for line in capped_lines(response, line_limit=line_limit, total_limit=total_limit)]


async def test_lines_are_split_across_pieces_and_a_cr_is_dropped(serve: Serve) -> None:
    url = await serve(chunked(b"data: o", b"ne\r\n\r\nda", b"ta: two\nlast"))

    assert await lines_of(url, 100, 1000) == ["data: one", "", "data: two", "last"]


@pytest.mark.parametrize(
    ("pieces", "message"),
    [
        ((b"short\n", b"y" * 30), "line longer than 20"),
        ((b"y" * 25 + b"\nok\n",), "line longer than 20"),
        ((b"ok\n" * 40,), "stream longer than 100"),
    ],
    ids=["unfinished-line", "finished-long-line", "many-short-lines"],
)
async def test_a_long_line_or_stream_raises_line_too_long(
    serve: Serve, pieces: tuple[bytes, ...], message: str
) -> None:
    url = await serve(chunked(*pieces))

    with pytest.raises(LineTooLong, match=message):
        await lines_of(url, 20, 100)


async def test_whole_at_most_and_tail_reads(serve: Serve) -> None:
    body = bytes(range(256)) * 40  # 10240 bytes, gzip-encoded on the wire
    url = await serve(chunked(gzip.compress(body), headers=b"content-encoding: gzip\r\n"))

    async with httpx.AsyncClient() as client:
        async with client.stream("GET", url) as response:
            assert await read_whole(response, len(body)) == body
        async with client.stream("GET", url) as response:
            assert await read_whole(response, len(body) - 1) is None
        async with client.stream("GET", url) as response:
            assert await read_at_most(response, 300) == (body[:300], True)
        async with client.stream("GET", url) as response:
            assert await read_tail(response, 1000, 10) == (body[990:1000], True)
        async with client.stream("GET", url) as response:
            assert await read_tail(response, 100_000, 10) == (body[-10:], False)

"""The guarded protocol in front of uvicorn, over real loopback sockets: header bytes and fields
capped (431, then close), a header deadline that data dribbled in does not extend, kept-alive
connections closed when idle, and a connection limit that closes the surplus at once."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any

from tests.api.harness import LLM, READ, Api

HEAD = "GET /api/v1/status HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n"


def limits(**values: Any) -> dict[str, Any]:
    return {"limits": values}


async def connect(api: Api) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = api.server.address  # type: ignore[union-attr]
    return await asyncio.open_connection(host, port)


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sends until it closes the connection (TimeoutError if it does not)."""
    return await asyncio.wait_for(reader.read(), timeout=seconds)


async def status_of(reader: asyncio.StreamReader) -> int:
    """Reads one whole response (status line, head, Content-Length body); returns its status."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
    await reader.readexactly(int(fields.get("content-length", "0")))
    return int(lines[0].split()[1])


async def test_a_head_over_the_byte_cap_gets_431_and_a_close(tmp_path: Path) -> None:
    async with Api(tmp_path, api=limits(max_header_bytes=4096)) as api:
        reader, writer = await connect(api)
        writer.write(HEAD.format(token=READ).encode() + b"x-filler: " + b"a" * 5000 + b"\r\n\r\n")
        answer = await closed_within(reader, 10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]


def flood_headers(port: int, total: int) -> tuple[int, bytes]:
    """Sends a never-ending header (up to `total` bytes) on a blocking socket; returns how much
    the server let through before it stopped reading, and what it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(HEAD.format(token=READ).encode() + b"x-filler: ")
        sent = 0
        try:
            while sent < total:
                sent += sock.send(b"a" * 65536)
        except OSError:  # reset or timed out: the server stopped reading
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    return sent, answer


async def test_a_flood_of_header_bytes_is_stopped_early(tmp_path: Path) -> None:
    async with Api(tmp_path, api=limits(max_header_bytes=4096)) as api:
        _, port = api.server.address  # type: ignore[union-attr]
        sent, answer = await asyncio.to_thread(flood_headers, port, 64 * 1024 * 1024)
        assert sent < 16 * 1024 * 1024, "the server kept reading far past its cap"
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:80]


async def test_more_header_fields_than_allowed_get_431(tmp_path: Path) -> None:
    async with Api(tmp_path, api=limits(max_headers=20)) as api:
        reader, writer = await connect(api)
        fields = "".join(f"x-h{i}: v\r\n" for i in range(20))
        writer.write((HEAD.format(token=READ) + fields + "\r\n").encode())
        answer = await closed_within(reader, 10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]


async def test_a_head_just_within_the_caps_is_served(tmp_path: Path) -> None:
    async with Api(tmp_path, api=limits(max_header_bytes=2048, max_headers=20)) as api:
        reader, writer = await connect(api)
        head = HEAD.format(token=READ) + "".join(f"x-h{i}: v\r\n" for i in range(17))
        head += "x-pad: " + "p" * (2048 - len(head) - len("x-pad: \r\n\r\n")) + "\r\n\r\n"
        assert len(head) == 2048
        writer.write(head.encode())
        assert await status_of(reader) == 200
        writer.close()


async def test_the_byte_cap_counts_the_head_not_the_body_sent_with_it(tmp_path: Path) -> None:
    async with Api(tmp_path, api=limits(max_header_bytes=1024)) as api:
        body = json.dumps({"messages": [{"role": "user", "content": "hello " + "x" * 30_000}]}).encode()
        head = (
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n"
            f"authorization: Bearer {LLM}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        reader, writer = await connect(api)
        writer.write(head.encode() + body)  # one write: head and body arrive in the same chunks
        assert await status_of(reader) == 200
        writer.close()


async def test_a_dribbled_head_is_closed_at_the_header_deadline(tmp_path: Path) -> None:
    async with Api(tmp_path, api=limits(header_timeout="1s")) as api:
        reader, writer = await connect(api)
        started = time.monotonic()
        writer.write(b"GET /healthz HTTP/1.1\r\n")
        closed = False
        for _ in range(100):  # a byte every 100 ms: never idle, never complete
            await asyncio.sleep(0.1)
            if reader.at_eof() or writer.is_closing():
                break
            try:
                writer.write(b"x")
                await writer.drain()
            except ConnectionError:
                break
        try:
            await closed_within(reader, 5)
            closed = True
        except ConnectionError:
            closed = True
        elapsed = time.monotonic() - started
        writer.close()
        assert closed and 0.9 <= elapsed < 6, elapsed


async def test_kept_alive_connections_get_a_new_deadline_after_each_response(tmp_path: Path) -> None:
    async with Api(tmp_path, api=limits(header_timeout="1s", keepalive_timeout="30s")) as api:
        reader, writer = await connect(api)
        request = b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"
        for _ in range(3):  # each within the deadline counted from the previous response
            await asyncio.sleep(0.6)
            writer.write(request)
            assert await status_of(reader) == 200
        started = time.monotonic()
        await closed_within(reader, 5)  # then idle: closed at the header deadline, not the 30s one
        assert time.monotonic() - started < 5
        writer.close()


async def test_a_response_slower_than_the_header_deadline_is_not_cut(tmp_path: Path) -> None:
    async with Api(tmp_path, api=limits(header_timeout="1s")) as api:
        body = {"messages": [{"role": "user", "content": "slow job"}]}
        answer = await api.client.post(
            "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {LLM}"}
        )
        assert answer.status_code == 200
        assert answer.json()["choices"][0]["message"]["content"] == "done slowly"


async def test_connections_beyond_the_limit_are_closed_at_once(tmp_path: Path) -> None:
    async with Api(tmp_path, api=limits(max_connections=8, header_timeout="60s")) as api:
        held = [await connect(api) for _ in range(8)]
        await asyncio.sleep(0.2)
        reader, writer = await connect(api)
        assert await closed_within(reader, 2) == b""  # closed, unanswered, long before 60s
        writer.close()
        _, first = held.pop()
        first.close()
        await asyncio.sleep(0.2)
        reader, writer = await connect(api)
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        assert await status_of(reader) == 200
        for _, w in [*held, (reader, writer)]:
            w.close()

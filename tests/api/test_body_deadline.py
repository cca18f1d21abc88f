"""A request body dribbled byte by byte is cut off at the body deadline (408), on a real API."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from mapekd.api import body
from tests.api.harness import LLM, Api


async def test_a_dribbled_body_gets_408_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(body, "BODY_TIMEOUT_S", 1.0)
    async with Api(tmp_path) as api:
        assert api.server is not None
        host, port = api.server.address
        reader, writer = await asyncio.open_connection(host, port)
        head = (
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            f"authorization: Bearer {LLM}\r\ncontent-length: 1000\r\n\r\n"
        )
        writer.write(head.encode())
        began = time.monotonic()
        answer = b""
        for _ in range(100):  # one byte every 0.1 s: 10 s to send it all
            writer.write(b" ")
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(4096), 0.1)
            except TimeoutError:
                continue
            break
        took = time.monotonic() - began
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert 0.9 <= took < 4.0, f"cut off after {took:.1f}s"

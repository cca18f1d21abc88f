"""A tiny OpenAI-compatible server on 127.0.0.1 for end-to-end failover tests.

`mode` decides every answer: "ok" (a chat completion, or an SSE stream when asked), "error" (HTTP
500), "hang" (accept the request, never answer). `dead_url()` is an address nothing listens on.
"""

from __future__ import annotations

import asyncio
import json
import socket

COMPLETION = {
    "id": "x",
    "object": "chat.completion",
    "model": "loop-model",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "from loopback"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 7, "completion_tokens": 3},
}


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # closed again: connections are refused


class LoopbackServer:
    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.requests = 0
        self.url = ""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> LoopbackServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = json.loads(await reader.readexactly(length) or b"{}")
                self.requests += 1
                if self.mode == "hang":
                    await asyncio.Event().wait()
                writer.write(self._reply(body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _reply(self, body: dict) -> bytes:
        if self.mode == "error":
            payload = b'{"error": {"message": "boom", "type": "server_error"}}'
            return _http(500, "application/json", payload)
        if body.get("stream"):
            events = [
                {"choices": [{"index": 0, "delta": {"content": "from "}}]},
                {"choices": [{"index": 0, "delta": {"content": "loopback"}, "finish_reason": "stop"}]},
                {"choices": [], "usage": COMPLETION["usage"]},
            ]
            text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            return _http(200, "text/event-stream", text.encode())
        return _http(200, "application/json", json.dumps(COMPLETION).encode())


def _http(status: int, kind: str, payload: bytes) -> bytes:
    head = f"HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {len(payload)}\r\n\r\n"
    return head.encode() + payload

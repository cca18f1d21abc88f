"""A loopback server whose answers never fit in memory, and a client process that meets them.

The server (a thread of the test process) generates its bodies on the fly from one 64 KiB block:
it never holds more than that. The client is a separate Python process running the daemon's
code, so its peak resident memory (ru_maxrss) can be compared before and after the call.
"""

from __future__ import annotations

import itertools
import json
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BLOCK = b"x" * 65536
FLOOD_BYTES = 300 * 1024 * 1024
"""How much a flooding answer would send, were it read to the end."""

HEADS = {
    "json": b'{"choices": [{"message": {"role": "assistant", "content": "',
    "sse_line": b'data: {"choices": [{"delta": {"content": "hi"}}]}\n\n'
    b'data: {"choices": [{"delta": {"content": "',
    "text": b"",
}
"""How each kind of flood starts; then BLOCK after BLOCK, with no line break, never closed."""


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: FloodServer = self.server  # type: ignore[assignment]
        try:
            while self._answer(server.kind):
                pass
        except OSError:
            pass  # the client hung up: what a capped reader does

    def _answer(self, kind: str) -> bool:
        """Answer one request; False when the connection is done."""
        request = self.rfile.readline()
        if not request:
            return False
        length = 0
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        self.rfile.read(length)
        path = request.split(b" ")[1]
        if path.endswith((b"/small", b"/models")):
            body = b'{"data": [], "ok": true}'
            self.wfile.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
            self.wfile.write(b"content-length: %d\r\n\r\n%s" % (len(body), body))
            return True
        self.wfile.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/plain\r\n\r\n")
        sent = 0
        for piece in itertools.chain([HEADS[kind]] if HEADS[kind] else [], itertools.repeat(BLOCK)):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
            if sent >= FLOOD_BYTES:
                break
        self.wfile.write(b"0\r\n\r\n")
        return False


class FloodServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, kind: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.kind = kind

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def flood_server(kind: str) -> Iterator[str]:
    server = FloodServer(kind)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()


def run_client(code: str, timeout: float = 120) -> dict[str, object]:
    """Run `code` (which defines `async def warm_up()` and `async def flooded() -> str`) in a fresh
    Python process; returns what `flooded` said and the growth of the peak RSS in MiB."""
    script = (
        "import asyncio, json, resource\n"
        f"{code}\n"
        "async def main():\n"
        "    await warm_up()\n"
        "    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    outcome = await flooded()\n"
        "    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    print(json.dumps({'outcome': outcome, 'peak_growth_mib': (after - before) / 1024}))\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result

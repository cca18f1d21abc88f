"""Fixtures of the monitor tests: processes and HTTP servers the tests own and clean up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psutil
import pytest

SLEEPER = "import time; time.sleep(60)"
Route = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture
def token() -> str:
    """A string no other process on the machine has in its command line."""
    return f"mapekd-test-{secrets.token_hex(6)}"


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start a sleeping Python process; every process started is killed and reaped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*argv_tail: str, executable: str = sys.executable) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([executable, "-c", SLEEPER, *argv_tail])
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll a condition with a generous deadline (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def is_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def own_pidfds() -> int:
    """How many pidfds this test process holds open."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed while listing
            count += os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[pidfd]"
    return count


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, Route]], str]]:
    """Serve routes (path -> handler function) on a free 127.0.0.1 port; returns the base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict[str, Route]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def _dispatch(self) -> None:
                route = routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_error(404)
                else:
                    route(self)

            do_GET = do_HEAD = do_POST = _dispatch

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A server that accepts connections, reads, and never answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.close()
    await server.wait_closed()


@pytest.fixture
def refused_url() -> str:
    """A URL on a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as shared:
        yield shared


@pytest.fixture
def write_pidfile(tmp_path: Path) -> Callable[[int | str], str]:
    def write(content: int | str) -> str:
        path = tmp_path / "service.pid"
        path.write_text(f"{content}\n")
        return str(path)

    return write

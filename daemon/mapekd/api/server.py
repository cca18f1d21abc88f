"""Serving the API with uvicorn inside an event loop that is already running (the daemon's, or
`mapekd gateway`'s). We bind the socket ourselves: a bad address is a ConfigError instead of
uvicorn's sys.exit, and the bound address is known (port 0 picks a free one)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Iterator

import uvicorn

from mapekd.api.app import build_app
from mapekd.api.context import ApiContext
from mapekd.errors import ConfigError, MapekdError

log = logging.getLogger("mapekd.api")
SHUTDOWN_GRACE_S = 5.0
"""Open connections (e.g. a stream) get this long to finish when the API stops."""


class _EmbeddedServer(uvicorn.Server):
    """Signals belong to the process hosting the API, not to uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ApiServer:
    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None], address: tuple[str, int]) -> None:
        self._server = server
        self._task = task
        self.address = address
        """(host, port) actually bound."""

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def stop(self) -> None:
        self._server.should_exit = True
        await self._task


async def start_api(ctx: ApiContext) -> ApiServer:
    """Bind, start serving in a task of the running loop, and return once it accepts connections."""
    app = build_app(ctx)
    sock = bind(ctx.config.host, ctx.config.port)
    address = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=int(SHUTDOWN_GRACE_S),
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            sock.close()
            raise MapekdError(f"the API failed to start: {task.exception()!r}")
        await asyncio.sleep(0.01)
    _announce(ctx, address)
    return ApiServer(server, task, address)


def bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc}", path="api.host") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}", path="api.port") from None
    return sock


def _announce(ctx: ApiContext, address: tuple[str, int]) -> None:
    host, port = address
    names = [t.name for t in ctx.config.tokens]
    log.info(
        "API listening",
        extra={"event": {"event": "api_listening", "host": host, "port": port, "tokens": names}},
    )
    if not names:
        log.warning(
            "no API token is configured: every request except /healthz is refused",
            extra={"event": {"event": "api_no_tokens"}},
        )
    if not ipaddress.ip_address(host).is_loopback:
        log.warning(
            "the API listens beyond loopback",
            extra={"event": {"event": "api_exposed", "host": host, "port": port}},
        )

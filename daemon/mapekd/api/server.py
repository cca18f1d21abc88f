"""Serving the API with uvicorn inside an event loop that is already running (the daemon's, or
`mapekd gateway`'s), through our guarded protocol (mapekd.api.guard: connection, header and
deadline limits). We bind the sockets ourselves (mapekd.api.listeners): the bound address is
known (port 0 picks a free one), and a socket that cannot be bound is retried in the background
instead of ending the process, unless the host asks for the old strictness (`mapekd gateway`,
which has nothing to do without its API)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
from collections.abc import Iterator

import uvicorn

from mapekd.api import listeners
from mapekd.api.app import build_app
from mapekd.api.context import ApiContext
from mapekd.api.guard import guarded_protocol
from mapekd.config.api import ApiConfig, is_loopback
from mapekd.errors import ConfigError, MapekdError

log = logging.getLogger("mapekd.api")
SHUTDOWN_GRACE_S = 5.0
"""Open connections (e.g. a stream) get this long to finish when the API stops."""


class _EmbeddedServer(uvicorn.Server):
    """Signals belong to the process hosting the API, not to uvicorn. Listeners are added once
    serving (started with none), each when its socket binds."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def listen(self, sock: socket.socket) -> None:
        config = self.config

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=_loop
            )

        loop = asyncio.get_running_loop()
        self.servers.append(await loop.create_server(create_protocol, sock=sock, backlog=config.backlog))


class ApiServer:
    def __init__(self, server: _EmbeddedServer, task: asyncio.Task[None]) -> None:
        self._server = server
        self._task = task
        self._bound: list[listeners.Bound] = []
        self._binding: list[asyncio.Task[None]] = []

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of the TCP listener; MapekdError while there is none (not bound yet, or
        `api.port: null`)."""
        for bound in self._bound:
            if bound.address is not None:
                return bound.address
        raise MapekdError("the API has no TCP listener")

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def serve_on(self, sock: socket.socket, ctx: ApiContext) -> None:
        bound = listeners.Bound.of(sock)
        await self._server.listen(sock)
        self._bound.append(bound)
        _announce(ctx.config, bound)

    def keep_trying(self, listener: listeners.Listener, ctx: ApiContext) -> None:
        retry = listeners.retry_bind(listener, lambda sock: self.serve_on(sock, ctx))
        self._binding.append(asyncio.create_task(retry))

    async def stop(self) -> None:
        for task in self._binding:
            task.cancel()
        await asyncio.gather(*self._binding, return_exceptions=True)
        self._server.should_exit = True
        await self._task
        for bound in self._bound:
            bound.remove_file()


async def start_api(ctx: ApiContext, *, retry_bind: bool = True) -> ApiServer:
    """Start serving in a task of the running loop; return once every socket that could be bound
    accepts connections. `retry_bind`: the others are retried in the background (else a socket
    that cannot be bound is a ConfigError)."""
    app = build_app(ctx)  # reads token files: a bad one is a ConfigError now
    limits = ctx.config.limits
    config = uvicorn.Config(
        app,
        http=guarded_protocol(limits),
        ws="none",
        log_config=None,
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_keep_alive=max(1, math.ceil(limits.keepalive_timeout)),
        timeout_graceful_shutdown=int(SHUTDOWN_GRACE_S),
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[]))
    while not server.started:
        if task.done():
            raise MapekdError(f"the API failed to start: {task.exception()!r}")
        await asyncio.sleep(0.01)
    api = ApiServer(server, task)
    _warn_without_tokens(ctx.config)
    for listener in _listeners(ctx.config):
        try:
            await api.serve_on(listener.bind(), ctx)
        except OSError as exc:
            if not retry_bind:
                await api.stop()
                raise ConfigError(
                    f"cannot listen on {listener.where}: {exc.strerror}", path=listener.key
                ) from None
            listeners.log_failure(listener, exc, listeners.RETRY_FIRST_S)
            api.keep_trying(listener, ctx)
    return api


def _listeners(config: ApiConfig) -> list[listeners.Listener]:
    found = []
    if config.port is not None:
        found.append(listeners.tcp(config.host, config.port))
    if config.unix_socket is not None:
        found.append(listeners.unix(config.unix_socket, config.unix_socket_mode))
    return found


def _announce(config: ApiConfig, bound: listeners.Bound) -> None:
    event: dict[str, object] = {"event": "api_listening", "tokens": [t.name for t in config.tokens]}
    if bound.address is None:
        event["unix_socket"] = bound.unix_path
        log.info("API listening", extra={"event": event})
        return
    host, port = bound.address
    event.update(host=host, port=port)
    log.info("API listening", extra={"event": event})
    if not is_loopback(host):
        log.warning(
            "the API listens beyond loopback, in plain HTTP (api.allow_remote_plain_http)",
            extra={"event": {**event, "event": "api_exposed"}},
        )


def _warn_without_tokens(config: ApiConfig) -> None:
    if not config.tokens:
        log.warning(
            "no API token is configured: every request except /healthz is refused",
            extra={"event": {"event": "api_no_tokens"}},
        )

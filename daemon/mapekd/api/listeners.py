"""The API's listening sockets: TCP (`api.host`/`api.port`) and a unix socket (`api.unix_socket`).
A socket that cannot be bound (the port held by another process, the path in the way) is not
fatal: healing must not depend on the API. It is logged (`api_bind_failed`) and retried with
backoff until it binds or the API stops."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("mapekd.api")
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0


@dataclass(frozen=True)
class Listener:
    """Where to listen; `bind()` returns a bound socket or raises OSError."""

    where: str
    key: str
    """The config key that says where (for errors)."""
    bind: Callable[[], socket.socket]


def tcp(host: str, port: int) -> Listener:
    def bind() -> socket.socket:
        family, kind, proto, _, addr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(addr)
        except OSError:
            sock.close()
            raise
        return sock

    return Listener(f"{host}:{port}", "api.port", bind)


def unix(path: str, mode: int) -> Listener:
    def bind() -> socket.socket:
        _clear_stale(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)
            os.chmod(path, mode)  # the unit's UMask (0027) already keeps others out before this
        except OSError:
            sock.close()
            raise
        return sock

    return Listener(f"unix:{path}", "api.unix_socket", bind)


def _clear_stale(path: str) -> None:
    """Remove a socket file nobody serves; never anything else, never a live socket."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise OSError(errno.EEXIST, "the path exists and is not a socket (left in place)")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.setblocking(False)
    try:
        answered = probe.connect_ex(path) in (0, errno.EAGAIN)
    finally:
        probe.close()
    if answered:
        raise OSError(errno.EADDRINUSE, "another process serves this socket")
    os.unlink(path)


@dataclass(frozen=True)
class Bound:
    """A socket being served: its address ((host, port), or the unix socket's path and inode)."""

    address: tuple[str, int] | None
    unix_path: str | None = None
    unix_inode: int | None = None

    @classmethod
    def of(cls, sock: socket.socket) -> Bound:
        name = sock.getsockname()
        if isinstance(name, str):
            return cls(None, name, os.stat(name).st_ino)
        return cls((str(name[0]), int(name[1])))

    def remove_file(self) -> None:
        """After serving: remove the unix socket's file, if it is still the one we made."""
        if self.unix_path is None:
            return
        with contextlib.suppress(OSError):
            if os.lstat(self.unix_path).st_ino == self.unix_inode:
                os.unlink(self.unix_path)


def log_failure(listener: Listener, exc: OSError, retry_in: float) -> None:
    reason = exc.strerror or str(exc)
    event = {"event": "api_bind_failed", "where": listener.where, "reason": reason, "retry_in_s": retry_in}
    log.warning("the API cannot listen on %s: %s", listener.where, reason, extra={"event": event})


async def retry_bind(listener: Listener, serve: Callable[[socket.socket], Awaitable[None]]) -> None:
    """After a first failure (logged by the caller with RETRY_FIRST_S): wait, bind and serve,
    doubling the wait after each failure up to RETRY_MAX_S. Cancel to stop."""
    delay = RETRY_FIRST_S
    while True:
        await asyncio.sleep(delay)
        delay = min(delay * 2, RETRY_MAX_S)
        try:
            sock = listener.bind()
        except OSError as exc:
            log_failure(listener, exc, delay)
            continue
        await serve(sock)
        return

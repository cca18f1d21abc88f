"""The HTTP protocol with the bounds uvicorn lacks, in front of its httptools parser: a connection
limit (a connection beyond it is closed at once, never queued, so the daemon keeps file
descriptors for its actions), a header deadline (a complete request head within
`header_timeout` of the connection opening or of the previous response, else the connection is
closed), and caps on the head's bytes and header fields (431, then close).

Bytes are counted as they arrive, before the parser sees them: the parser (httptools) buffers a
header until it ends, so a 256 MiB header would otherwise be held in memory whole. A chunk may
carry the end of one request and the start of the next; bytes past the budget are only fed once
the head they belong to is complete, so no more than `max_header_bytes` of an unfinished head
ever reaches the parser."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from mapekd.config.api import ApiLimits

log = logging.getLogger("mapekd.api")
LINGER_S = 1.0
LINGER_BYTES = 65_536
"""After a 431 the write side is shut and what still arrives is discarded for this long (or this
many bytes) before the close: closing with unread data would reset the connection and the client
would lose the 431."""
REFUSAL_LOG_EVERY_S = 60.0
"""Refused connections are logged at most this often (with a count): a flood must not flood the log."""
_TOO_LARGE_BODY = b"request header fields too large"
_TOO_LARGE = b"%scontent-type: text/plain\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s" % (
    STATUS_LINE[431],
    len(_TOO_LARGE_BODY),
    _TOO_LARGE_BODY,
)


class _HeadTooLarge(Exception):
    """Raised by a parser callback to stop parsing a head over the header-field cap."""


class Refusals:
    """Connections refused at the limit, logged at most once per REFUSAL_LOG_EVERY_S."""

    def __init__(self) -> None:
        self.count = 0
        self._logged_at = -REFUSAL_LOG_EVERY_S

    def note(self, limit: int) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self._logged_at >= REFUSAL_LOG_EVERY_S:
            self._logged_at = now
            event = {"event": "api_connections_refused", "limit": limit, "refused_total": self.count}
            log.warning("API connection limit reached: new connections are closed", extra={"event": event})


class GuardedHttpProtocol(HttpToolsProtocol):
    """Use `guarded_protocol(limits)`: it binds the limits to a subclass uvicorn instantiates."""

    limits: ApiLimits
    refusals: Refusals

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._admitted = False
        self._lingering: int | None = None  # bytes discarded since a 431, None before
        self._awaiting_head = True
        self._head_bytes = 0
        self._header_count = 0
        self._heads_done = 0
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self.refusals.note(self.limits.max_connections)
            transport.abort()  # not close(): the descriptor is freed now, nothing lingers
            return
        self._admitted = True
        super().connection_made(transport)
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        if self._admitted:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._admitted or self.transport.is_closing():
            return
        if self._lingering is not None:
            self._lingering += len(data)
            if self._lingering > LINGER_BYTES:
                self.transport.close()
            return
        if self._awaiting_head:
            room = self.limits.max_header_bytes - self._head_bytes
            if len(data) > room:
                self._beyond_budget(data, room)
                return
            self._head_bytes += len(data)
        self._feed(data)

    def _beyond_budget(self, data: bytes, room: int) -> None:
        """Feed what the budget allows; the rest only if the head ended within it."""
        heads = self._heads_done
        self._head_bytes += room
        self._feed(data[:room])
        if self.transport.is_closing():
            return
        if self._heads_done == heads:
            self._refuse_head()
            return
        self.data_received(data[room:])

    def _feed(self, data: bytes) -> None:
        """uvicorn's data_received, with our own refusal told apart from a malformed request."""
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _HeadTooLarge):
                self._refuse_head()
            else:
                self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()  # no WebSocket endpoint: answered as plain HTTP
        except httptools.HttpParserError:
            self.send_400_response("Invalid HTTP request received.")

    def _refuse_head(self) -> None:
        self._cancel_head_deadline()
        self._lingering = 0
        self.transport.write(_TOO_LARGE)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)

    def on_message_begin(self) -> None:
        self._header_count = 0
        super().on_message_begin()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            raise _HeadTooLarge
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._heads_done += 1
        self._cancel_head_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._awaiting_head = True
        self._head_bytes = 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        idle = self.cycle is None or self.cycle.response_complete  # else a pipelined one runs
        if idle and self._awaiting_head and not self.transport.is_closing():
            self._arm_head_deadline()

    def _arm_head_deadline(self) -> None:
        self._cancel_head_deadline()
        self._head_deadline = self.loop.call_later(self.limits.header_timeout, self._head_late)

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_late(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(limits: ApiLimits) -> type[GuardedHttpProtocol]:
    """A protocol class for uvicorn.Config(http=...), bound to `limits` (one per server)."""
    return type(
        "BoundGuardedHttpProtocol", (GuardedHttpProtocol,), {"limits": limits, "refusals": Refusals()}
    )

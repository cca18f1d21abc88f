"""One HTTP/1.1 response as httptools (llhttp, in C) parses it from a connection's bytes: status,
headers, the body pieces not read yet, whether it is complete, and whether the server keeps the
connection open for another."""

from __future__ import annotations

from collections import deque

import httptools
import httpx


class ParsedResponse:
    def __init__(self) -> None:
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.buffered = 0
        """Body bytes received and not read yet."""
        self._eof_delimited = False
        self._body: deque[bytes] = deque()
        self._parser = httptools.HttpResponseParser(self)

    def feed(self, data: bytes) -> None:
        """Parse received bytes; httptools.HttpParserError when they are not (only) this response."""
        self._parser.feed_data(data)

    def take(self) -> bytes | None:
        """The next body piece received, if any."""
        if not self._body:
            return None
        piece = self._body.popleft()
        self.buffered -= len(piece)
        return piece

    def end_of_input(self) -> bool:
        """The connection closed: True when that completes the response (a body delimited by the
        close); False when the response is cut short."""
        if self.head_done and self._eof_delimited:
            self.complete = True
        return self.complete

    def without_body(self) -> None:
        """A response that has no body whatever its headers say (to HEAD): complete now, and the
        connection is not trusted with another."""
        self.complete = True
        self.keep_alive = False

    # httptools callbacks ---------------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.head_done:  # a second response to one request
            raise httpx.RemoteProtocolError("the server sent more than one response")

    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        names = {name.lower() for name, _ in self.headers}
        self._eof_delimited = not names & {b"content-length", b"transfer-encoding"}
        self.head_done = True

    def on_body(self, piece: bytes) -> None:
        self._body.append(piece)
        self.buffered += len(piece)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = not self._eof_delimited and self._parser.should_keep_alive()

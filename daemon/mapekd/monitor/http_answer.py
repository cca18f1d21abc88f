"""Reading a health check's answer from the bytes received so far: status line and headers, then
the body by Content-Length, chunked or up to the close, at most a limit, gzip or deflate decoded.
Each parse starts over from the first byte: an answer is read once, and a body is capped."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from mapekd.monitor.http_errors import ProtocolError, ReadError

HEAD_LIMIT = 64 * 1024
NO_BODY = frozenset({204, 304})


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    """Lower-case names; a repeated header keeps its last value."""
    body: bytes | None
    """None unless a body was asked for; else at most `limit` bytes."""
    truncated: bool = False

    def text(self) -> str:
        """The body as text, in the charset the Content-Type names (default UTF-8)."""
        charset = "utf-8"
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"'")
        try:
            return (self.body or b"").decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return (self.body or b"").decode("utf-8", errors="replace")


def parse_head(buffer: bytes | bytearray, closed: bool) -> tuple[int, dict[str, str], int] | None:
    """The status and headers of the final answer in `buffer` (an interim 1xx one, e.g. 103 Early
    Hints, is skipped), and where its body starts; None while they are incomplete. `closed`: the
    server has closed the connection, nothing more will come."""
    start = 0
    while True:
        end = buffer.find(b"\r\n\r\n", start)
        if end < 0:
            if len(buffer) - start > HEAD_LIMIT:
                raise ProtocolError(f"answer headers longer than {HEAD_LIMIT} bytes")
            if not closed:
                return None
            if start == len(buffer):
                raise ReadError("the server closed the connection without answering")
            raise ProtocolError("the answer ended inside its headers")
        status_line, *lines = bytes(buffer[start:end]).decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit() or rest[3:4] not in ("", " "):
            raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
        start = end + 4
        if not 100 <= int(code) < 200:
            fields = {}
            for line in lines:
                name, sep, value = line.partition(":")
                if sep:
                    fields[name.strip().lower()] = value.strip()
            return int(code), fields, start


def parse_body(data: bytes, fields: dict[str, str], limit: int, closed: bool) -> tuple[bytes, bool] | None:
    """The body in `data` (what followed the headers), at most `limit` bytes decoded, and whether
    there was more; None while it is incomplete."""
    if "chunked" in fields.get("transfer-encoding", "").lower():
        found = _chunked(data, limit, closed)
    elif (length := fields.get("content-length", "")).isdigit():
        size = int(length)
        if len(data) < min(size, limit):
            if closed:
                raise ReadError(f"the answer ended after {len(data)} of {size} expected bytes")
            return None
        found = data[: min(size, limit)], size > limit
    elif len(data) > limit or closed:  # no framing: the body runs until the server closes
        found = data[:limit], len(data) > limit
    else:
        return None
    return None if found is None else (_decoded(found[0], fields, limit), found[1])


def _chunked(data: bytes, limit: int, closed: bool) -> tuple[bytes, bool] | None:
    body, at = bytearray(), 0
    while True:
        line_end = data.find(b"\r\n", at)
        if line_end < 0 and len(data) - at > HEAD_LIMIT:
            raise ProtocolError(f"a line of the answer longer than {HEAD_LIMIT} bytes")
        if line_end < 0:
            _unless_closed(closed)
            return None
        size_line = data[at:line_end].split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size {size_line[:20]!r}") from None
        if size == 0:
            return bytes(body), False
        at = line_end + 2
        take = min(size, limit + 1 - len(body))  # never more than one byte past the limit
        if len(data) < at + take:
            _unless_closed(closed)
            return None
        body += data[at : at + take]
        if len(body) > limit:
            return bytes(body[:limit]), True
        at += take + 2  # the chunk and the CRLF after it


def _unless_closed(closed: bool) -> None:
    """More of a chunked body is needed: an error when none will come."""
    if closed:
        raise ReadError("the answer ended inside a chunk")


def _decoded(body: bytes, fields: dict[str, str], limit: int) -> bytes:
    encoding = fields.get("content-encoding", "identity").lower()
    if encoding not in ("gzip", "deflate"):
        return body
    try:  # MAX_WBITS | 32: a gzip or a zlib header, whichever it is
        return zlib.decompressobj(zlib.MAX_WBITS | 32).decompress(body, limit)
    except zlib.error as exc:
        raise ProtocolError(f"bad {encoding} body: {exc}") from None

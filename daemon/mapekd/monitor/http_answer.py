"""Reading a health check's answer off the stream: status line and headers, then the body by
Content-Length, chunked or up to the close, at most a limit, gzip or deflate decoded."""

from __future__ import annotations

import asyncio
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


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise ProtocolError(f"answer headers longer than {HEAD_LIMIT} bytes") from None
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise ReadError("the server closed the connection without answering") from None
            raise ProtocolError("the answer ended inside its headers") from None
        status_line, *lines = head.decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit() or rest[3:4] not in ("", " "):
            raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
        if not 100 <= int(code) < 200:  # an interim answer (103 Early Hints) is followed by the real one
            fields = {}
            for line in lines:
                name, sep, value = line.partition(":")
                if sep:
                    fields[name.strip().lower()] = value.strip()
            return int(code), fields


async def read_body(reader: asyncio.StreamReader, fields: dict[str, str], limit: int) -> tuple[bytes, bool]:
    if "chunked" in fields.get("transfer-encoding", "").lower():
        body, truncated = await _read_chunked(reader, limit)
        return _decoded(body, fields, limit), truncated
    length = fields.get("content-length", "")
    if length.isdigit():
        size = int(length)
        return _decoded(await reader.readexactly(min(size, limit)), fields, limit), size > limit
    body = await reader.read(limit)
    while len(body) < limit and (more := await reader.read(limit - len(body))):
        body += more
    return _decoded(body, fields, limit), len(body) == limit and bool(await reader.read(1))


async def _read_chunked(reader: asyncio.StreamReader, limit: int) -> tuple[bytes, bool]:
    body = bytearray()
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size {size_line[:20]!r}") from None
        if size == 0:
            return bytes(body), False
        take = min(size, limit + 1 - len(body))  # never more than one byte past the limit
        body += await reader.readexactly(take)
        if len(body) > limit:
            return bytes(body[:limit]), True
        await reader.readexactly(2)  # the CRLF after each chunk


def _decoded(body: bytes, fields: dict[str, str], limit: int) -> bytes:
    encoding = fields.get("content-encoding", "identity").lower()
    if encoding not in ("gzip", "deflate"):
        return body
    try:  # MAX_WBITS | 32: a gzip or a zlib header, whichever it is
        return zlib.decompressobj(zlib.MAX_WBITS | 32).decompress(body, limit)
    except zlib.error as exc:
        raise ProtocolError(f"bad {encoding} body: {exc}") from None

"""Reading an httpx response with bounds: never more than a cap of decoded bytes in memory.

httpx's own `aread()` and `aiter_lines()` hold a whole body or a whole line, however large, and
its gzip decoder inflates a chunk without a limit (a 64 KiB chunk can become 64 MiB). Here the
raw chunks are inflated in pieces of at most PIECE bytes, so a cap is honoured while reading and
the rest of the body is never fetched. Encodings: identity, gzip and deflate (what ACCEPT_ENCODING
asks for); anything else is an httpx.DecodingError, as httpx's own decoders fail.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import httpx

ACCEPT_ENCODING = "gzip, deflate"
"""The encodings `decoded_pieces` reads; sent by every client whose answers are read here."""
PIECE = 64 * 1024


class LineTooLong(Exception):
    """A line of a streamed answer is longer than its cap (or the stream longer than its total)."""


async def decoded_pieces(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body, decoded, in pieces of at most PIECE bytes of inflated data per raw chunk step."""
    if response.is_stream_consumed:  # read already (httpx.MockTransport answers): decoded, in memory
        content = response.content
        for start in range(0, len(content), PIECE):
            yield content[start : start + PIECE]
        return
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        async for raw in response.aiter_raw():
            yield raw
        return
    if encoding not in ("gzip", "deflate"):
        raise httpx.DecodingError(f"unsupported content-encoding {encoding!r}")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # | 32: a gzip or a zlib header
    async for raw in response.aiter_raw():
        data = raw
        while data:
            try:
                piece = inflater.decompress(data, PIECE)
            except zlib.error as exc:
                raise httpx.DecodingError(f"bad {encoding} body: {exc}") from None
            data = inflater.unconsumed_tail
            if piece:
                yield piece


async def read_whole(response: httpx.Response, limit: int) -> bytes | None:
    """The whole decoded body, or None (and no more read) once it passes `limit` bytes. At most
    `limit` bytes are held while reading, twice that only for a body within it."""
    pieces: list[bytes] = []
    size = 0
    async for piece in decoded_pieces(response):
        size += len(piece)
        if size > limit:
            return None
        pieces.append(piece)
    return b"".join(pieces)


async def read_at_most(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` decoded bytes of the body, and whether there was more; reads no further."""
    pieces: list[bytes] = []
    size = 0
    async for piece in decoded_pieces(response):
        if size + len(piece) > limit:
            pieces.append(piece[: limit - size])
            return b"".join(pieces), True
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces), False


async def read_tail(response: httpx.Response, limit: int, keep: int) -> tuple[bytes, bool]:
    """The last `keep` bytes of at most `limit` decoded bytes of the body, and whether there was
    more than `limit`; only the tail is held while reading."""
    tail = bytearray()
    seen = 0
    async for piece in decoded_pieces(response):
        take = piece[: max(0, limit - seen)]
        seen += len(piece)
        tail += take
        del tail[:-keep]
        if seen > limit:
            return bytes(tail), True
    return bytes(tail), False


async def capped_lines(response: httpx.Response, *, line_limit: int, total_limit: int) -> AsyncIterator[str]:
    """The body's lines (split on LF, a CR before it dropped), decoded as UTF-8. LineTooLong when
    a line exceeds `line_limit` bytes or the body `total_limit` bytes: neither is held whole."""
    pending = bytearray()
    total = 0
    async for piece in decoded_pieces(response):
        total += len(piece)
        if total > total_limit:
            raise LineTooLong(f"stream longer than {total_limit} bytes")
        pending += piece
        start = 0
        while (end := pending.find(b"\n", start)) >= 0:
            if end - start > line_limit:
                raise LineTooLong(f"stream line longer than {line_limit} bytes")
            yield _text(pending[start:end])
            start = end + 1
        del pending[:start]
        if len(pending) > line_limit:
            raise LineTooLong(f"stream line longer than {line_limit} bytes")
    if pending:
        yield _text(pending)


def _text(line: bytes | bytearray) -> str:
    return bytes(line).removesuffix(b"\r").decode("utf-8", errors="replace")

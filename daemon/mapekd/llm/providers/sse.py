"""Server-sent events (the WHATWG `text/event-stream` format) read from a stream of lines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str
    """The `event:` field; "message" when absent."""
    data: str
    """The `data:` lines joined with newlines."""


async def iter_sse(lines: AsyncIterator[str]) -> AsyncIterator[ServerSentEvent]:
    """Events in order. An event is dispatched on its blank line only, so a trailing event cut
    before its blank line is dropped (as the format requires) and the caller sees no end marker."""
    event = ""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield ServerSentEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)

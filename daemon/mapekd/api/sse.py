"""OpenAI-style server-sent events for /v1/chat/completions with `stream: true`.

Errors before the first chunk are ordinary HTTP errors (the gateway may still fail over then).
After it, the status line is gone: a failure is sent as an `{"error": ...}` event and the stream
ends WITHOUT `data: [DONE]`, so an SDK raises instead of returning a truncated answer as complete.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from mapekd.api.errors import ApiError, from_error
from mapekd.api.openai_wire import chunk_json, usage_json
from mapekd.api.state import ACTUAL_HEADER
from mapekd.errors import MapekdError
from mapekd.llm.types import Chunk

log = logging.getLogger("mapekd.api")
DONE = b"data: [DONE]\n\n"


class StreamMeta:
    """What every chunk of one answer repeats."""

    def __init__(self, request_id: str, created: int, model: str, include_usage: bool) -> None:
        self.request_id = request_id
        self.created = created
        self.model = model
        self.include_usage = include_usage

    def chunk(self, delta: dict[str, str], finish: str | None) -> bytes:
        return event(chunk_json(self.request_id, self.created, self.model, delta, finish))


async def stream_response(chunks: AsyncIterator[Chunk], meta: StreamMeta, pinned: str | None) -> Response:
    """Waits for the first chunk (so early failures get a real status), then streams the rest."""
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        raise ApiError(502, "the stream ended before any chunk", code="upstream_error") from None
    except BaseException:
        await _close(chunks)
        raise
    # Chunks name their provider once the gateway tags them; a pinned call knows it already.
    provider = pinned or getattr(first, "provider", None)
    headers = {"cache-control": "no-cache", **({ACTUAL_HEADER: provider} if provider else {})}
    return StreamingResponse(_events(first, chunks, meta), media_type="text/event-stream", headers=headers)


async def _events(first: Chunk, chunks: AsyncIterator[Chunk], meta: StreamMeta) -> AsyncIterator[bytes]:
    try:
        yield meta.chunk({"role": "assistant", "content": first.delta}, first.finish_reason)
        last = first
        async for chunk in chunks:
            last = chunk
            yield meta.chunk({"content": chunk.delta}, chunk.finish_reason)
        if meta.include_usage:
            usage = chunk_json(meta.request_id, meta.created, meta.model, {}, None)
            usage["choices"], usage["usage"] = [], usage_json(last.usage)
            yield event(usage)
        yield DONE
    except MapekdError as exc:
        yield event(from_error(exc).body())
    except Exception:  # a bug must still not look like a complete answer
        log.exception("stream failed")
        yield event(ApiError(500, "internal error while streaming", code="internal_error").body())
    finally:
        await _close(chunks)


def event(value: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(value, separators=(",", ":")).encode() + b"\n\n"


async def _close(chunks: AsyncIterator[Chunk]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()

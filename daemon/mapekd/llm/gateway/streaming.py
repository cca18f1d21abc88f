"""Streaming with fallback BEFORE the first chunk only.

Until a provider yields its first chunk, a failure moves on to the next route like any call.
After it, the caller already holds part of an answer: any failure, and also a stream that ends
without a finish reason, reaches the caller as StreamInterrupted, never as a clean end (the trap
of Portkey #1797). A stream that completes is settled at its real usage and may be cached.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import replace

from mapekd.errors import LLMError
from mapekd.llm.errors import MalformedResponse, StreamInterrupted
from mapekd.llm.gateway.attempt import Attempt
from mapekd.llm.limits import estimate_text
from mapekd.llm.types import ChatRequest, Chunk, Completion, Usage

Opened = tuple[Chunk, AsyncIterator[Chunk]]


async def open_stream(request: ChatRequest, attempt: Attempt) -> Opened:
    """Start the attempt's provider stream and wait for its first chunk."""
    if attempt.requested_model and attempt.requested_model != request.model:
        request = replace(request, model=attempt.requested_model)
    chunks = attempt.slot.provider.stream(request)
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        raise MalformedResponse(attempt.route.name, "the stream ended before any chunk") from None
    except BaseException:
        await _close(chunks)
        raise
    return first, chunks


async def relay(
    opened: Opened,
    attempt: Attempt,
    input_tokens: int,
    clock: Callable[[], float],
    on_complete: Callable[[Completion], None],
) -> AsyncGenerator[Chunk, None]:
    first, chunks = opened
    name = attempt.route.name
    parts = [first.delta]
    last = first
    try:
        yield replace(first, provider=name)
        async for chunk in chunks:
            parts.append(chunk.delta)
            last = chunk
            yield chunk
    except (GeneratorExit, asyncio.CancelledError):
        attempt.abandon()
        raise
    except StreamInterrupted as exc:
        attempt.fail(exc, clock())
        raise
    except Exception as exc:
        error = _interrupted(name, exc)
        attempt.fail(error, clock())
        raise error from exc
    finally:
        await _close(chunks)
    if last.finish_reason is None:
        error = StreamInterrupted(name, "the stream ended without a finish reason")
        attempt.fail(error, clock())
        raise error
    text = "".join(parts)
    usage = last.usage or Usage(input_tokens, estimate_text(text))
    attempt.succeed(usage, attempt.model, clock())
    on_complete(Completion(text, attempt.model, name, usage, last.finish_reason))


def _interrupted(provider: str, exc: Exception) -> StreamInterrupted:
    kind = type(exc).__name__
    detail = str(exc) if isinstance(exc, LLMError) else f"unexpected {kind}: {exc}"
    return StreamInterrupted(provider, f"stream failed after its first chunk: {detail}")


async def _close(chunks: AsyncIterator[Chunk]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        # closing a broken stream may itself fail; its cause is already reported
        with contextlib.suppress(Exception):
            await aclose()

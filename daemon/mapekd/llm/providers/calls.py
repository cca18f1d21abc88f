"""Deadlines and error mapping around one provider call, shared by every backend.

`call` bounds a request/response call by its total timeout. `guarded_stream` bounds a stream by
its total timeout without ever holding a timeout across a `yield` (the deadline is applied to each
step only), maps lower-layer errors, and turns every failure after the first chunk into
StreamInterrupted, so a cut stream is never a clean end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar

from mapekd.llm.errors import ProviderError, ProviderTimeout, StreamInterrupted
from mapekd.llm.providers.http_errors import HTTPX_ERRORS, map_transport_error
from mapekd.llm.types import Chunk

T = TypeVar("T")


async def call(
    provider: str,
    total: float,
    make: Callable[[], Awaitable[T]],
    *,
    secrets: Iterable[str] = (),
) -> T:
    """Run one call within `total` seconds, with httpx errors mapped into our tree."""
    try:
        async with asyncio.timeout(total):
            return await make()
    except TimeoutError as exc:
        raise ProviderTimeout(provider, f"no answer within {total:g}s") from exc
    except HTTPX_ERRORS as exc:
        raise map_transport_error(exc, provider, secrets=secrets) from exc


async def guarded_stream(
    provider: str,
    total: float,
    inner: AsyncIterator[Chunk],
    *,
    secrets: Iterable[str] = (),
) -> AsyncIterator[Chunk]:
    """`inner`'s chunks within `total` seconds; any failure after the first chunk is
    StreamInterrupted."""
    deadline = asyncio.get_running_loop().time() + total
    started = False
    try:
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await anext(inner)
            except StopAsyncIteration:
                return
            except TimeoutError as exc:
                late = ProviderTimeout(provider, f"stream not done within {total:g}s")
                raise _after_start(late, started) from exc
            except HTTPX_ERRORS as exc:
                mapped = map_transport_error(exc, provider, mid_stream=started, secrets=secrets)
                raise mapped from exc
            except ProviderError as exc:
                if started and not isinstance(exc, StreamInterrupted):
                    raise _after_start(exc, started) from exc
                raise
            started = True
            yield chunk
    finally:
        aclose = getattr(inner, "aclose", None)
        if aclose is not None:
            await aclose()


def _after_start(error: ProviderError, started: bool) -> ProviderError:
    if not started:
        return error
    detail = f"stream broken after the first chunk ({type(error).__name__})"
    return StreamInterrupted(error.provider, detail, status=error.status)

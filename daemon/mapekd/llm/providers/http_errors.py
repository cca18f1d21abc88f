"""httpx exceptions and HTTP statuses -> our error tree, by type and status only.

Transport errors (most specific class first, resolved through the exception's MRO):

    TimeoutException (Connect/Read/Write/PoolTimeout)   -> ProviderTimeout
    ConnectError, ProxyError, Read/Write/CloseError,
    RemoteProtocolError                                  -> ProviderUnavailable
    DecodingError                                        -> MalformedResponse
    LocalProtocolError, UnsupportedProtocol, InvalidURL,
    TooManyRedirects, CookieConflict                     -> BadRequest (our request or URL is wrong)
    StreamError (StreamClosed, StreamConsumed, ...)      -> StreamInterrupted
    HTTPStatusError                                      -> by its response status (below)

Once a stream has delivered its first chunk, every failure becomes StreamInterrupted: part of the
answer is already out, so the call must fail loudly rather than be retried or end "cleanly".

Statuses: 429 RateLimited, 503 and 529 Overloaded, other 5xx ServerError (each with
`retry_after` from Retry-After / retry-after-ms), 401/403 AuthenticationFailed, 404 NotFound,
other 4xx BadRequest.
Messages never carry API keys: callers pass their secrets to `redact`.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterable, Mapping

import httpx

from mapekd.llm.errors import (
    AuthenticationFailed,
    BadRequest,
    MalformedResponse,
    NotFound,
    Overloaded,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    ServerError,
    StreamInterrupted,
)

TRANSPORT_ERRORS: Mapping[type[Exception], type[ProviderError]] = {
    httpx.ConnectTimeout: ProviderTimeout,
    httpx.ReadTimeout: ProviderTimeout,
    httpx.WriteTimeout: ProviderTimeout,
    httpx.PoolTimeout: ProviderTimeout,
    httpx.TimeoutException: ProviderTimeout,
    httpx.ConnectError: ProviderUnavailable,
    httpx.ReadError: ProviderUnavailable,
    httpx.WriteError: ProviderUnavailable,
    httpx.CloseError: ProviderUnavailable,
    httpx.NetworkError: ProviderUnavailable,
    httpx.ProxyError: ProviderUnavailable,
    httpx.RemoteProtocolError: ProviderUnavailable,
    httpx.LocalProtocolError: BadRequest,
    httpx.ProtocolError: ProviderUnavailable,
    httpx.UnsupportedProtocol: BadRequest,
    httpx.TransportError: ProviderUnavailable,
    httpx.DecodingError: MalformedResponse,
    httpx.TooManyRedirects: BadRequest,
    httpx.RequestError: ProviderUnavailable,
    httpx.HTTPStatusError: ServerError,  # refined by status in map_transport_error
    httpx.HTTPError: ProviderUnavailable,
    httpx.InvalidURL: BadRequest,
    httpx.CookieConflict: BadRequest,
    httpx.StreamClosed: StreamInterrupted,
    httpx.StreamConsumed: StreamInterrupted,
    httpx.ResponseNotRead: StreamInterrupted,
    httpx.RequestNotRead: StreamInterrupted,
    httpx.StreamError: StreamInterrupted,
}
"""Every exception class httpx exports, mapped explicitly (a test walks httpx to keep it so)."""

HTTPX_ERRORS: tuple[type[Exception], ...] = tuple(TRANSPORT_ERRORS)
"""Catch these around httpx calls."""


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def map_transport_error(
    exc: Exception,
    provider: str,
    *,
    mid_stream: bool = False,
    secrets: Iterable[str] = (),
) -> ProviderError:
    """Our error for an httpx exception (or any exception in TRANSPORT_ERRORS' hierarchy)."""
    detail = redact(f"{type(exc).__name__}: {exc}"[:300], secrets)
    if mid_stream:
        return StreamInterrupted(provider, f"stream broken: {detail}")
    if isinstance(exc, httpx.HTTPStatusError):
        response = exc.response
        return error_for_status(provider, response.status_code, response.headers)
    for cls in type(exc).__mro__:
        target = TRANSPORT_ERRORS.get(cls)
        if target is not None:
            return target(provider, detail)
    return ProviderUnavailable(provider, detail)


def error_for_status(
    provider: str,
    status: int,
    headers: Mapping[str, str],
    detail: str = "",
) -> ProviderError:
    """Our error for an HTTP error status; `detail` (already redacted) goes into the message."""
    message = f"HTTP {status}" + (f": {detail[:300]}" if detail else "")
    if status == 429:
        return RateLimited(provider, message, status=status, retry_after=retry_after(headers))
    if status in (503, 529):
        return Overloaded(provider, message, status=status, retry_after=retry_after(headers))
    if status >= 500:
        return ServerError(provider, message, status=status, retry_after=retry_after(headers))
    if status in (401, 403):
        return AuthenticationFailed(provider, message, status=status)
    if status == 404:
        return NotFound(provider, message, status=status)
    return BadRequest(provider, message, status=status)


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `Retry-After` as seconds or an HTTP-date."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)

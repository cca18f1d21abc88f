"""Plumbing shared by the HTTP backends: one AsyncClient on httpx's own transport, timeouts,
status errors, JSON bodies, and a byte cap on everything read (mapekd.http_caps): an answer, an
error body, a stream line and a whole stream each have a bound, enforced while reading, so a
runaway upstream costs an error, never the daemon's memory.

Wire formats and their quirks stay in each provider's file; this class only moves bytes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from mapekd.http_caps import ACCEPT_ENCODING, LineTooLong, capped_lines, read_at_most, read_whole
from mapekd.llm.errors import MalformedResponse, ProviderError, ProviderUnavailable
from mapekd.llm.providers.calls import call, guarded_stream
from mapekd.llm.providers.config import TimeoutsConfig
from mapekd.llm.providers.http_errors import error_for_status, redact
from mapekd.llm.types import Chunk

# Bounds on what an upstream may send (a 300 MiB answer once took the daemon to 965 MB). Far above
# any real answer: a chat completion is kilobytes, an embeddings batch a few MiB.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
"""A non-streamed answer (chat, embeddings, models list)."""
MAX_ERROR_BYTES = 64 * 1024
"""An error answer's body: only its message is used."""
MAX_LINE_BYTES = 1024 * 1024
"""One line of a stream (an SSE field or an NDJSON object: one token's worth of JSON)."""
MAX_STREAM_BYTES = 64 * 1024 * 1024
"""A whole streamed answer."""


class HttpProvider:
    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        timeouts: TimeoutsConfig,
        headers: Mapping[str, str],
        transport: httpx.AsyncBaseTransport | None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self._total = timeouts.total
        self._secrets = secrets
        timeout = httpx.Timeout(timeouts.read, connect=timeouts.connect)
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Accept-Encoding": ACCEPT_ENCODING, **headers},
            timeout=timeout,
            transport=transport,
        )

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    async def close(self) -> None:
        """Close the connection pool; safe to call more than once."""
        if not self._client.is_closed:
            await self._client.aclose()

    def _error_detail(self, body: Any) -> str:
        """The server's error message in an error body (each wire format overrides this)."""
        return ""

    def _status_error(self, response: httpx.Response, body: bytes) -> ProviderError:
        """Our error for an error response and (the start of) its body; providers refine it by
        their body's error *type*."""
        detail = redact(self._error_detail(_json_or_none(body)), self._secrets)
        return error_for_status(self.name, response.status_code, response.headers, detail)

    async def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            body, _ = await read_at_most(response, MAX_ERROR_BYTES)
            raise self._status_error(response, body)

    def _check_open(self) -> None:
        if self._client.is_closed:
            raise ProviderUnavailable(self.name, "provider is closed")

    async def _request_json(
        self,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One request within the total timeout; an error status or a non-object body raises."""
        self._check_open()

        async def send() -> dict[str, Any]:
            async with self._client.stream(method, path, json=payload) as response:
                await self._raise_for_status(response)
                raw = await read_whole(response, MAX_ANSWER_BYTES)
            if raw is None:
                raise MalformedResponse(
                    self.name,
                    f"{method} {path}: answer larger than {MAX_ANSWER_BYTES} bytes; reading stopped",
                )
            body = _json_or_none(raw)
            if not isinstance(body, dict):
                raise MalformedResponse(self.name, f"{method} {path}: body is not a JSON object")
            return body

        return await call(self.name, self._total, send, secrets=self._secrets)

    async def _stream_lines(self, path: str, payload: Mapping[str, Any]) -> AsyncIterator[str]:
        """The lines of a streamed POST response (use inside `_guard`)."""
        self._check_open()
        async with self._client.stream("POST", path, json=payload) as response:
            await self._raise_for_status(response)
            lines = capped_lines(response, line_limit=MAX_LINE_BYTES, total_limit=MAX_STREAM_BYTES)
            try:
                async for line in lines:
                    yield line
            except LineTooLong as exc:
                raise MalformedResponse(self.name, f"{path}: {exc}; reading stopped") from None

    def _guard(self, inner: AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
        return guarded_stream(self.name, self._total, inner, secrets=self._secrets)

    def _decode_line(self, line: str) -> dict[str, Any]:
        """One JSON object of a stream (an SSE `data:` or an NDJSON line)."""
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise MalformedResponse(self.name, "stream item is not JSON") from exc
        if not isinstance(value, dict):
            raise MalformedResponse(self.name, "stream item is not a JSON object")
        return value


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def bearer_auth(key: SecretStr | None) -> tuple[dict[str, str], tuple[str, ...]]:
    """The Authorization header for a bearer-token API, and the secret to mask in errors."""
    secret = key.get_secret_value() if key is not None else ""
    return ({"Authorization": f"Bearer {secret}"}, (secret,)) if secret else ({}, ())

"""Plumbing shared by the HTTP backends: one AsyncClient, timeouts, status errors, JSON bodies.
Plain-HTTP upstreams get the lean transport (http_transport) and plain JSON calls to them skip
httpx's per-call client work (http_direct).

Wire formats and their quirks stay in each provider's file; this class only moves bytes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from mapekd.llm.errors import MalformedResponse, ProviderError, ProviderUnavailable
from mapekd.llm.providers.calls import call, guarded_stream
from mapekd.llm.providers.config import TimeoutsConfig
from mapekd.llm.providers.http_direct import DirectJson
from mapekd.llm.providers.http_errors import error_for_status, redact
from mapekd.llm.providers.http_transport import lean_transport_for
from mapekd.llm.types import Chunk


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
        lean = lean_transport_for(base_url) if transport is None else None
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=dict(headers),
            timeout=timeout,
            transport=transport if lean is None else lean,
        )
        self._direct = DirectJson(self._client, lean.pool) if lean is not None else None
        """Plain JSON calls without httpx's per-call client work (plain-HTTP upstreams)."""

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

    def _status_error(self, response: httpx.Response) -> ProviderError:
        """Our error for an error response; providers refine it by their body's error *type*."""
        detail = redact(self._error_detail(_json_or_none(response)), self._secrets)
        return error_for_status(self.name, response.status_code, response.headers, detail)

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
            if self._direct is not None:
                response = await self._direct.request(method, path, payload)
            else:
                response = await self._client.request(method, path, json=payload)
            if response.status_code >= 400:
                raise self._status_error(response)
            body = _json_or_none(response)
            if not isinstance(body, dict):
                raise MalformedResponse(self.name, f"{method} {path}: body is not a JSON object")
            return body

        return await call(self.name, self._total, send, secrets=self._secrets)

    async def _stream_lines(self, path: str, payload: Mapping[str, Any]) -> AsyncIterator[str]:
        """The lines of a streamed POST response (use inside `_guard`)."""
        self._check_open()
        async with self._client.stream("POST", path, json=payload) as response:
            if response.status_code >= 400:
                await response.aread()
                raise self._status_error(response)
            async for line in response.aiter_lines():
                yield line

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


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def bearer_auth(key: SecretStr | None) -> tuple[dict[str, str], tuple[str, ...]]:
    """The Authorization header for a bearer-token API, and the secret to mask in errors."""
    secret = key.get_secret_value() if key is not None else ""
    return ({"Authorization": f"Bearer {secret}"}, (secret,)) if secret else ({}, ())

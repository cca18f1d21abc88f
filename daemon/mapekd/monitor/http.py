"""`type: http`: does an HTTP endpoint answer, with the expected status (and body), and how fast.

Target `http:<check name>`; fields: ok, status, latency_ms, body_match, error.
ok is true when the status is expected and, if `body_regex` is set, it matches the body (its first
BODY_REGEX_LIMIT bytes). latency_ms runs from sending the request to the end of what was read: the
headers, plus the body when a regex needs it. A refused connection or a timeout is a result, not a
failure of the check: ok false, status None, error says what happened.

Header values are secrets: they are sent, and masked out of every error message.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Mapping

import httpx
from pydantic import SecretStr

from mapekd.config.checks import CheckBase, HttpCheckConfig
from mapekd.errors import CheckError, ConfigError
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import describe_error, require_config

BODY_REGEX_LIMIT = 1024 * 1024


class HttpCheck:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        client: httpx.AsyncClient,
        method: str = "GET",
        expect_status: Iterable[int] = range(200, 400),
        body_regex: str | None = None,
        headers: Mapping[str, SecretStr] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.targets = (f"http:{name}",)
        self._url, self._client, self._method = url, client, method
        self._expect = frozenset(expect_status)
        self._headers = dict(headers or {})
        self._timeout = timeout
        try:
            self._pattern = re.compile(body_regex) if body_regex else None
        except re.error as exc:
            raise ConfigError(f"invalid body_regex: {exc}", path=f"checks.{name}.body_regex") from None

    @classmethod
    def from_config(cls, config: CheckBase, *, http: httpx.AsyncClient) -> HttpCheck:
        cfg = require_config(config, HttpCheckConfig)
        return cls(
            cfg.name,
            str(cfg.url),
            client=http,
            method=cfg.method,
            expect_status=cfg.expect_status,
            body_regex=cfg.body_regex,
            headers=cfg.headers,
            timeout=cfg.timeout,
        )

    async def collect(self) -> list[Sample]:
        started = time.perf_counter()
        status: int | None = None
        body_match: bool | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self._timeout):
                status, body_match = await self._request()
        except (TimeoutError, httpx.TimeoutException):
            error = f"timeout: no complete answer within {self._timeout:g}s"
        except httpx.HTTPError as exc:  # refused, reset, protocol errors: the endpoint is down
            error = describe_error(exc, self._secrets())
        except Exception as exc:  # anything else fails the check, with the secrets masked
            raise CheckError(describe_error(exc, self._secrets())) from None
        fields: dict[str, FieldValue] = {
            "ok": error is None and status in self._expect and body_match is not False,
            "status": status,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "body_match": body_match,
            "error": error,
        }
        return [Sample(self.name, self.targets[0], fields)]

    async def _request(self) -> tuple[int, bool | None]:
        headers = {key: value.get_secret_value() for key, value in self._headers.items()}
        async with self._client.stream(
            self._method, self._url, headers=headers, timeout=self._timeout
        ) as response:
            if self._pattern is None:
                return response.status_code, None
            body, _ = await read_at_most(response, BODY_REGEX_LIMIT)
            text = body.decode(response.encoding or "utf-8", errors="replace")
            return response.status_code, self._pattern.search(text) is not None

    def _secrets(self) -> list[str]:
        return [value.get_secret_value() for value in self._headers.values()]


async def read_capped(response: httpx.Response, limit: int, what: str) -> bytes:
    """The whole body; CheckError if it declares or turns out to be larger than `limit` (`max_bytes`),
    and then no more of it is read."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise CheckError(f"{what} larger than max_bytes ({limit}); reading stopped")
    body, truncated = await read_at_most(response, limit)
    if truncated:
        raise CheckError(f"{what} larger than max_bytes ({limit}); reading stopped")
    return body


async def read_at_most(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` bytes of a streamed body, and whether there was more; reads no further."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False

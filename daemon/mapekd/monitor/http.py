"""`type: http`: does an HTTP endpoint answer, with the expected status (and body), and how fast.

Target `http:<check name>`; fields: ok, status, latency_ms, body_match, error.
ok is true when the status is expected and, if `body_regex` is set, it matches the body (its first
BODY_REGEX_LIMIT bytes). latency_ms runs from connecting to the end of what was read: the headers,
plus the body when a regex needs it. A refused connection or a timeout is a result, not a failure
of the check: ok false, status None, error says what happened. Requests go straight to the
endpoint, one connection each (monitor/http_probe.py: no proxy, no redirect followed).

Header values are secrets: they are sent, and masked out of every error message.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pydantic import SecretStr

from mapekd.config.checks import CheckBase, HttpCheckConfig
from mapekd.errors import CheckError, ConfigError
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import describe_error, require_config
from mapekd.monitor.http_errors import ProbeError
from mapekd.monitor.http_probe import Endpoint, fetch, request_head

if TYPE_CHECKING:
    import httpx

    from mapekd.shared_http import SharedHttp

BODY_REGEX_LIMIT = 1024 * 1024


class HttpCheck:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        method: str = "GET",
        expect_status: Iterable[int] = range(200, 400),
        body_regex: str | None = None,
        headers: Mapping[str, SecretStr] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.targets = (f"http:{name}",)
        self._method = method
        self._expect = frozenset(expect_status)
        self._headers = dict(headers or {})
        self._timeout = timeout
        try:
            self._endpoint = Endpoint.parse(url)
        except ValueError as exc:
            raise ConfigError(str(exc), path=f"checks.{name}.url") from None
        for header, value in self._headers.items():
            if not _sendable(header) or not _sendable(value.get_secret_value()):
                path = f"checks.{name}.headers"
                raise ConfigError(f"header {header!r}: line break or not Latin-1", path=path)
        try:
            self._pattern = re.compile(body_regex) if body_regex else None
        except re.error as exc:
            raise ConfigError(f"invalid body_regex: {exc}", path=f"checks.{name}.body_regex") from None
        plain = {key: value.get_secret_value() for key, value in self._headers.items()}
        self._head = request_head(self._endpoint, method, plain)
        """The request head, the same every cycle: built once."""

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> HttpCheck:
        cfg = require_config(config, HttpCheckConfig)
        return cls(
            cfg.name,
            str(cfg.url),
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
        except TimeoutError:
            error = f"timeout: no complete answer within {self._timeout:g}s"
        except ProbeError as exc:  # refused, reset, not HTTP: the endpoint is down
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
        limit = BODY_REGEX_LIMIT if self._pattern is not None else None
        answer = await fetch(self._endpoint, self._method, {}, body_limit=limit, head=self._head)
        if self._pattern is None:
            return answer.status, None
        return answer.status, self._pattern.search(answer.text()) is not None

    def _secrets(self) -> list[str]:
        return [value.get_secret_value() for value in self._headers.values()]


def _sendable(text: str) -> bool:
    """A header name or value that can go on the wire as it is: Latin-1, no line break."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\r" not in text and "\n" not in text


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

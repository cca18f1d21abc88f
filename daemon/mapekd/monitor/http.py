"""`type: http`: does an HTTP endpoint answer, with the expected status (and body), and how fast.

Target `http:<check name>`; fields: ok, status, latency_ms, body_match, error.
ok is true when the status is expected and, if `body_regex` is set, it matches the body (its first
BODY_REGEX_LIMIT bytes, decoded). latency_ms runs from sending to the end of what was read: the
headers, plus the body up to its cap. A refused connection, a broken answer or a timeout is a
result, not a failure of the check: ok false, status None, error says what happened (the httpx
exception's class name first). Requests go through the daemon's shared health-check client
(shared_http.SharedHttp.checks): straight to the endpoint (no proxy from the environment), no
redirect followed (a 3xx is a status like any other), TLS verified, connections kept alive.

Header values are secrets: they are sent, and masked out of every error message.

The last failing probe (status, latency, error and the first EXCERPT_BYTES of its body, with the
header secrets masked) is kept in memory as `last_failure`, the evidence of an incident on it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr

from mapekd.config.checks import CheckBase, HttpCheckConfig
from mapekd.errors import CheckError, ConfigError
from mapekd.http_caps import read_at_most, read_whole
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import describe_error, require_config

if TYPE_CHECKING:
    from mapekd.shared_http import SharedHttp

BODY_REGEX_LIMIT = 1024 * 1024
"""The bytes of a body a `body_regex` is matched against; the rest is never read."""
DRAIN_LIMIT = 64 * 1024
"""Without a regex a body this small is still read, so that its connection can be kept alive."""
EXCERPT_BYTES = 2048
"""The start of a failing answer's body kept as evidence (out of what was read anyway)."""


@dataclass(frozen=True, slots=True)
class ProbeFailure:
    """The last probe that failed: what an incident on this check is explained by."""

    url: str
    at: float
    status: int | None
    latency_ms: float
    error: str | None
    body_match: bool | None
    excerpt: str
    """The body's first EXCERPT_BYTES, decoded, header secrets masked ('' without an answer)."""


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
        self._client = client
        self._method = method
        self._expect = frozenset(expect_status)
        self._headers = dict(headers or {})
        self._timeout = timeout
        self._url = _http_url(url, path=f"checks.{name}.url")
        for header, value in self._headers.items():
            if not _sendable(header) or not _sendable(value.get_secret_value()):
                path = f"checks.{name}.headers"
                raise ConfigError(f"header {header!r}: line break or not Latin-1", path=path)
        try:
            self._pattern = re.compile(body_regex) if body_regex else None
        except re.error as exc:
            raise ConfigError(f"invalid body_regex: {exc}", path=f"checks.{name}.body_regex") from None
        self._plain_headers = {key: value.get_secret_value() for key, value in self._headers.items()}
        self._limit = BODY_REGEX_LIMIT if self._pattern is not None else DRAIN_LIMIT
        self.last_failure: ProbeFailure | None = None
        self._shown_url = str(self._url.copy_with(userinfo=b""))  # no credentials in evidence

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> HttpCheck:
        cfg = require_config(config, HttpCheckConfig)
        return cls(
            cfg.name,
            str(cfg.url),
            client=http.checks,
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
        excerpt = ""
        try:
            async with asyncio.timeout(self._timeout):
                status, body_match, excerpt = await self._request()
        except (TimeoutError, httpx.TimeoutException):
            error = f"timeout: no complete answer within {self._timeout:g}s"
        except httpx.RequestError as exc:  # refused, reset, TLS, not HTTP: the endpoint is down
            error = describe_error(exc, self._secrets())
        except Exception as exc:  # anything else fails the check, with the secrets masked
            raise CheckError(describe_error(exc, self._secrets())) from None
        latency = round((time.perf_counter() - started) * 1000, 1)
        fields: dict[str, FieldValue] = {
            "ok": error is None and status in self._expect and body_match is not False,
            "status": status,
            "latency_ms": latency,
            "body_match": body_match,
            "error": error,
        }
        if not fields["ok"]:
            self.last_failure = ProbeFailure(
                self._shown_url, time.time(), status, latency, error, body_match, excerpt
            )
        return [Sample(self.name, self.targets[0], fields)]

    async def _request(self) -> tuple[int, bool | None, str]:
        """Status, whether the body matched (None without a regex), and the body's excerpt."""
        async with self._client.stream(
            self._method, self._url, headers=self._plain_headers, timeout=self._timeout
        ) as response:
            body, _ = await read_at_most(response, self._limit)
            excerpt = _masked(_text(body[:EXCERPT_BYTES], response), self._secrets())
            if self._pattern is None:
                return response.status_code, None, excerpt
            matched = self._pattern.search(_text(body, response)) is not None
            return response.status_code, matched, excerpt

    def _secrets(self) -> list[str]:
        return [value.get_secret_value() for value in self._headers.values()]


def _http_url(url: str, *, path: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConfigError(f"not a URL: {exc}", path=path) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"not an http(s) URL: {url!r}", path=path)
    return parsed


def _text(body: bytes, response: httpx.Response) -> str:
    """The body as text, in the charset its Content-Type names (default UTF-8)."""
    try:
        return body.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def _masked(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


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
    body = await read_whole(response, limit)
    if body is None:
        raise CheckError(f"{what} larger than max_bytes ({limit}); reading stopped")
    return body

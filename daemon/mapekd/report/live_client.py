"""Asking the running daemon's HTTP API for its live state (`GET /api/v1/status`), quickly: a
short timeout, and every failure becomes a reason to show instead, never an exception."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mapekd.config.api import ApiConfig

TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Endpoint:
    url: str
    """Shown to the user; `unix:<path>` for the unix socket."""
    token: str
    uds: str | None = None
    """The unix socket to connect through (`api.unix_socket`), preferred when configured."""


@dataclass(frozen=True)
class Live:
    """The API's answer (`status` None when there is none) and, if not, why."""

    status: dict[str, Any] | None
    url: str | None
    error: str | None


def endpoint(api: ApiConfig) -> Endpoint | str:
    """Where to ask, with a token holding the `read` right and no other (a token that may approve
    or push alerts is never sent to whatever answers on the port); or why not."""
    if not api.enabled:
        return "the API is not enabled (api.enabled)"
    readers = [t for t in api.tokens if set(t.rights) == {"read"}]
    if not readers:
        return "no API token with only the read right is configured (api.tokens): not asked"
    token = readers[0]
    if token.token is not None:
        secret = token.token.get_secret_value()
    else:
        try:
            secret = Path(token.token_file or "").read_text(encoding="utf-8").strip()
        except OSError as exc:
            return f"cannot read the token file of API token {token.name!r}: {exc.strerror}"
    if api.unix_socket is not None:
        return Endpoint(f"unix:{api.unix_socket}", secret, uds=api.unix_socket)
    host = "127.0.0.1" if api.host in ("0.0.0.0", "") else "::1" if api.host == "::" else api.host  # noqa: S104
    url = f"http://[{host}]:{api.port}" if ":" in host else f"http://{host}:{api.port}"
    return Endpoint(url, secret)


def fetch(where: Endpoint | str, timeout: float = TIMEOUT_S) -> Live:
    if isinstance(where, str):
        return Live(None, None, where)
    transport = httpx.HTTPTransport(uds=where.uds) if where.uds else None
    base = "http://localhost" if where.uds else where.url
    try:  # trust_env off: the token goes to the daemon, never to a proxy from the environment
        with httpx.Client(transport=transport, timeout=timeout, trust_env=False) as client:
            response = client.get(f"{base}/api/v1/status", headers={"authorization": f"Bearer {where.token}"})
    except httpx.TimeoutException:
        return Live(None, where.url, f"no answer within {timeout:g}s")
    except httpx.HTTPError as exc:
        return Live(None, where.url, f"unreachable ({exc.__class__.__name__})")
    if response.status_code != 200:
        return Live(None, where.url, f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        return Live(None, where.url, "the answer is not JSON")
    if not isinstance(body, dict):
        return Live(None, where.url, "unexpected answer")
    return Live(body, where.url, None)

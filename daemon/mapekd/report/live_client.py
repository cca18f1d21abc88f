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
    token: str


@dataclass(frozen=True)
class Live:
    """The API's answer (`status` None when there is none) and, if not, why."""

    status: dict[str, Any] | None
    url: str | None
    error: str | None


def endpoint(api: ApiConfig) -> Endpoint | str:
    """Where to ask, with a token holding the `read` right, from the `api:` section; or why not."""
    if not api.enabled:
        return "the API is not enabled (api.enabled)"
    host = "127.0.0.1" if api.host in ("0.0.0.0", "") else "::1" if api.host == "::" else api.host  # noqa: S104
    url = f"http://[{host}]:{api.port}" if ":" in host else f"http://{host}:{api.port}"
    for token in api.tokens:
        if "read" not in token.rights:
            continue
        if token.token is not None:
            return Endpoint(url, token.token.get_secret_value())
        try:
            return Endpoint(url, Path(token.token_file or "").read_text(encoding="utf-8").strip())
        except OSError as exc:
            return f"cannot read the token file of API token {token.name!r}: {exc.strerror}"
    return "no API token with the read right is configured"


def fetch(where: Endpoint | str, timeout: float = TIMEOUT_S) -> Live:
    if isinstance(where, str):
        return Live(None, None, where)
    try:
        response = httpx.get(
            f"{where.url}/api/v1/status", headers={"authorization": f"Bearer {where.token}"}, timeout=timeout
        )
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

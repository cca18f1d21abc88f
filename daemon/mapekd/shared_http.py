"""The daemon's httpx clients, each created at its first use and shared by all its users.

Two clients, because two kinds of peer want different settings:
- `client` (webhook actions and notifications, Prometheus, PromQL and Alertmanager checks): the
  environment's proxy settings are honoured, since a chat or paging service is often reachable
  from a production host only through its proxy.
- `checks` (HTTP health checks): straight to the service, never through a proxy from the
  environment (a health check asks whether the service itself answers), no redirect followed,
  TLS verified against the system's trust store (where a host's own CA is installed; httpx's
  default is certifi's bundle), connections kept alive between cycles.
Neither keeps cookies: no peer needs them, and a jar that any answer can add to is a store
without a bound in a daemon that runs for months.
Sharing one client per kind keeps connections alive and pays httpx's setup once, not per request.
A daemon configured without any of these parts never imports httpx nor builds its TLS context:
about 5 MiB of resident memory a host agent should not spend for nothing.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

CHECK_CONNECTIONS = 100
"""Connections open at once to health-check endpoints (a bound, far above a host's checks)."""
CHECK_KEEPALIVE_S = 60.0
"""How long an idle health-check connection is kept for the next cycle."""


class SharedHttp:
    """Hands out the daemon's httpx clients (connection pools shared by every user), made on demand."""

    def __init__(
        self, client: httpx.AsyncClient | None = None, *, checks: httpx.AsyncClient | None = None
    ) -> None:
        self._client = client
        self._checks = checks

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx  # deferred: see the module docstring

            from mapekd.http_caps import ACCEPT_ENCODING

            self._client = httpx.AsyncClient(
                headers={"Accept-Encoding": ACCEPT_ENCODING}, cookies=no_cookies()
            )
        return self._client

    @property
    def checks(self) -> httpx.AsyncClient:
        if self._checks is None:
            import ssl

            import httpx  # deferred: see the module docstring

            from mapekd.http_caps import ACCEPT_ENCODING

            limits = httpx.Limits(
                max_connections=CHECK_CONNECTIONS,
                max_keepalive_connections=CHECK_CONNECTIONS,
                keepalive_expiry=CHECK_KEEPALIVE_S,
            )
            self._checks = httpx.AsyncClient(
                headers={"User-Agent": "mapekd", "Accept-Encoding": ACCEPT_ENCODING},
                cookies=no_cookies(),
                trust_env=False,
                follow_redirects=False,
                verify=ssl.create_default_context(),
                limits=limits,
            )
        return self._checks

    @property
    def started(self) -> bool:
        return self._client is not None or self._checks is not None

    async def aclose(self) -> None:
        for client in (self._client, self._checks):
            if client is not None:
                await client.aclose()
        self._client = self._checks = None


def no_cookies() -> CookieJar:
    """A cookie jar that accepts none (no domain is allowed to set one)."""
    return CookieJar(DefaultCookiePolicy(allowed_domains=[]))

"""The daemon's one httpx client, created at its first use.

Only some parts speak HTTP through httpx (webhook actions and notifications, Prometheus, PromQL
and Alertmanager checks); HTTP health checks have their own small client (monitor/http_probe.py).
A daemon configured without those parts never imports httpx nor builds its TLS context: about
5 MiB of resident memory a host agent should not spend for nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


class SharedHttp:
    """Hands out one `httpx.AsyncClient` (connection pool shared by every user), made on demand."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx  # deferred: see the module docstring

            self._client = httpx.AsyncClient()
        return self._client

    @property
    def started(self) -> bool:
        return self._client is not None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

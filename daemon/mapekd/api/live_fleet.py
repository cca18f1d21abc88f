"""/api/v1/fleet (`read`): what `mapekd fleet status` shows, for the live page's fleet section.

PostgreSQL is read in a worker thread (never on the event loop), one read at a time, and the
answer is kept for `FLEET_TTL_S`: however many pages poll, the fleet is asked at most once per
period, each read bounded by knowledge.fleet.connect_timeout and statement_timeout."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mapekd.api.errors import ApiError
from mapekd.api.state import authorize
from mapekd.config.fleet import FleetConfig

FLEET_TTL_S = 5.0


class CachedFleetStatus:
    """The FleetStatus of a daemon in a fleet: this host's outbox and the fleet, cached."""

    def __init__(self, config: FleetConfig, base: Path, ttl: float = FLEET_TTL_S) -> None:
        self.config, self.base, self.ttl = config, base, ttl
        self._lock = asyncio.Lock()
        self._cached: dict[str, Any] | None = None
        self._at = 0.0

    async def status(self) -> dict[str, Any]:
        async with self._lock:
            if self._cached is None or time.monotonic() - self._at >= self.ttl:
                self._cached = await asyncio.to_thread(self._read)
                self._at = time.monotonic()
            return self._cached

    def _read(self) -> dict[str, Any]:
        from mapekd.fleet.report import fleet_status  # psycopg only for a host in a fleet

        return fleet_status(self.config, self.base)


async def fleet(request: Request) -> Response:
    state, _ = authorize(request, "read")
    if state.ctx.fleet is None:
        raise ApiError(404, "this host is in no fleet (knowledge.fleet)", code="not_configured")
    return JSONResponse(await state.ctx.fleet.status())


ROUTES = [Route("/api/v1/fleet", fleet, methods=["GET"])]

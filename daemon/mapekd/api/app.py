"""build_app(ctx): the Starlette application of the HTTP API (see mapekd.api for the endpoints)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mapekd.api import (
    live,
    live_fleet,
    routes_alerts,
    routes_approvals,
    routes_health,
    routes_jobs,
    routes_llm,
    routes_openai,
    routes_status,
)
from mapekd.api.auth import Tokens
from mapekd.api.context import ApiContext
from mapekd.api.errors import ApiError, from_error
from mapekd.api.jobs import JobRunner
from mapekd.api.policy import RequestPolicy
from mapekd.api.state import ApiState
from mapekd.errors import MapekdError

log = logging.getLogger("mapekd.api")


def build_app(ctx: ApiContext) -> Starlette:
    """Token files are read now (ConfigError); job workers run while the app's lifespan does."""
    state = ApiState(
        ctx=ctx,
        tokens=Tokens.from_config(ctx.config.tokens),
        policy=RequestPolicy(ctx.config.limits),
        jobs=JobRunner(ctx.store, ctx.gateways, ctx.config.jobs),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.jobs.start()
        try:
            yield
        finally:
            await state.jobs.stop()

    routes = [
        *routes_health.ROUTES,
        *routes_status.ROUTES,
        *routes_approvals.ROUTES,
        *routes_alerts.ROUTES,
        *routes_llm.ROUTES,
        *routes_openai.ROUTES,
        *routes_jobs.ROUTES,
        *live.live_routes(),
        *live_fleet.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ApiError: _api_error,
            MapekdError: _mapekd_error,
            HTTPException: _http_error,
        },
    )
    app.state.api = state
    return app


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _mapekd_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MapekdError)
    error = from_error(exc)
    if error.status >= 500:
        log.warning("%s %s failed: %s", request.method, request.url.path, error.message)
    return error.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return ApiError(exc.status_code, str(exc.detail), headers=dict(exc.headers or {})).response()

"""/healthz (alive, no token), /readyz (ready to serve) and /metrics (Prometheus exposition)."""

from __future__ import annotations

import sqlite3

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mapekd.api.context import ApiContext
from mapekd.api.state import authorize
from mapekd.schedule.freshness import ready_allowance

READY_PROBE_BUSY_MS = 500
"""How long /readyz waits for another writer's lock before calling the database not writable."""


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    state, _ = authorize(request, "read")
    ctx = state.ctx
    checks = {"config": True, "gateway": True, "database": database_writable(ctx)}
    if ctx.loop is not None:
        checks["loop"] = loop_recent(ctx)
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


def database_writable(ctx: ApiContext) -> bool:
    """Take the write lock and give it back: proves writability without writing anything."""
    conn = ctx.store.conn
    (previous,) = conn.execute("PRAGMA busy_timeout").fetchone()
    try:
        conn.execute(f"PRAGMA busy_timeout = {READY_PROBE_BUSY_MS}")
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(previous)}")


def loop_recent(ctx: ApiContext) -> bool:
    """Every check group completed a collection within its allowance: two intervals, at least
    10 s more than one (or `api.max_cycle_age` for every group, when set)."""
    assert ctx.loop is not None
    if ctx.loop.last_cycle_at() is None:
        return False
    limit = ctx.config.max_cycle_age
    return not ctx.loop.late_groups(ready_allowance if limit is None else lambda _: limit)


async def metrics(request: Request) -> Response:
    state, _ = authorize(request, "read")
    return Response(generate_latest(state.ctx.registry), media_type=CONTENT_TYPE_LATEST)


ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]

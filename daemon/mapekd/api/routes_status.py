"""/api/v1/status, /api/v1/llm/status, /api/v1/incidents and /api/v1/incidents/{id}."""

from __future__ import annotations

from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mapekd.api.errors import ApiError
from mapekd.api.state import authorize
from mapekd.api.status import llm_report, status_report

MAX_INCIDENTS = 1000


async def status(request: Request) -> Response:
    state, _ = authorize(request, "read")
    return JSONResponse(status_report(state.ctx))


async def llm_status(request: Request) -> Response:
    state, _ = authorize(request, "read")
    return JSONResponse(llm_report(state.ctx.gateway))


async def incidents(request: Request) -> Response:
    state, _ = authorize(request, "read")
    since = _number(request, "since", 0.0)
    limit = int(_number(request, "limit", 200))
    if not 1 <= limit <= MAX_INCIDENTS:
        raise ApiError(400, f"limit must be between 1 and {MAX_INCIDENTS}", param="limit")
    return JSONResponse({"incidents": state.ctx.store.incidents(since=since, limit=limit)})


RAW_MODEL_TEXT = ("proposal_raw",)
"""A model's raw answer: free text it wrote, shown only to callers that may approve (a read-only
token sees the parsed proposal, the action and the reason)."""


async def incident(request: Request) -> Response:
    state, caller = authorize(request, "read")
    incident_id: int = request.path_params["incident_id"]
    row = state.ctx.store.incident_row(incident_id)
    if row is None:
        raise ApiError(404, f"no incident {incident_id}", code="not_found")
    timeline = state.ctx.store.timeline(incident_id)
    if "approve" not in caller.rights:
        timeline = [{k: v for k, v in event.items() if k not in RAW_MODEL_TEXT} for event in timeline]
    # The evidence was redacted before it was stored (evidence/collect.py): served as stored.
    cause = state.ctx.store.cause_of(incident_id)
    return JSONResponse({**asdict(row), "timeline": timeline, "cause": cause})


def _number(request: Request, name: str, default: float) -> float:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a number", param=name) from None


ROUTES = [
    Route("/api/v1/status", status, methods=["GET"]),
    Route("/api/v1/llm/status", llm_status, methods=["GET"]),
    Route("/api/v1/incidents", incidents, methods=["GET"]),
    Route("/api/v1/incidents/{incident_id:int}", incident, methods=["GET"]),
]

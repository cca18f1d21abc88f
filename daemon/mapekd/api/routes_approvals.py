"""/api/v1/approvals (GET: pending, `read`) and /api/v1/approvals/{id} (POST a decision, `approve`)."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mapekd.api.body import read_model
from mapekd.api.context import ApprovalQueue
from mapekd.api.errors import ApiError
from mapekd.api.state import ApiState, authorize

log = logging.getLogger("mapekd.api")


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "deny"]


async def pending(request: Request) -> Response:
    state, _ = authorize(request, "read")
    return JSONResponse({"approvals": _queue(state).pending_approvals()})


async def decide(request: Request) -> Response:
    state, caller = authorize(request, "approve")
    queue = _queue(state)
    approval_id: int = request.path_params["approval_id"]
    body = await read_model(request, DecisionBody, state.max_body)
    new_state = queue.decide_approval(approval_id, body.decision == "approve", caller.name)
    log.warning(
        "approval decided",
        extra={
            "event": {"event": "approval", "approval": approval_id, "state": new_state, "by": caller.name}
        },
    )
    return JSONResponse({"id": approval_id, "state": new_state, "by": caller.name})


def _queue(state: ApiState) -> ApprovalQueue:
    if state.ctx.approvals is None:
        raise ApiError(404, "approvals are not available here", code="no_approvals")
    return state.ctx.approvals


ROUTES = [
    Route("/api/v1/approvals", pending, methods=["GET"]),
    Route("/api/v1/approvals/{approval_id:int}", decide, methods=["POST"]),
]

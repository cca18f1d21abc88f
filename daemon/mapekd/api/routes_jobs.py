"""POST /v1/chat/jobs (a chat completion body, run later: 202 {id}) and GET /v1/chat/jobs/{id}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mapekd.api.body import read_model
from mapekd.api.errors import ApiError
from mapekd.api.openai_wire import ChatBody
from mapekd.api.state import authorize, pinned_provider


async def submit(request: Request) -> Response:
    state, caller = authorize(request, "llm")
    limit = min(state.max_body, state.ctx.config.jobs.max_request_bytes)
    body = await read_model(request, ChatBody, limit)
    if body.stream:
        raise ApiError(400, "a job cannot stream; poll GET /v1/chat/jobs/{id}", param="stream")
    state.policy.admit(caller, body.texts(), body.model)
    job_id = state.jobs.submit(caller.name, body, pinned_provider(request))
    return JSONResponse(
        {"id": job_id, "object": "chat.completion.job", "status": "queued"},
        status_code=202,
        headers={"location": f"/v1/chat/jobs/{job_id}"},
    )


async def status(request: Request) -> Response:
    state, caller = authorize(request, "llm")
    job = state.jobs.get(request.path_params["job_id"], caller.name)
    if job is None:
        raise ApiError(404, "no such job", code="not_found")
    job["status"] = job.pop("state")
    return JSONResponse({"object": "chat.completion.job", **job})


ROUTES = [
    Route("/v1/chat/jobs", submit, methods=["POST"]),
    Route("/v1/chat/jobs/{job_id}", status, methods=["GET"]),
]

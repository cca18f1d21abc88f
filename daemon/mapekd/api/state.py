"""What every route reads: the context, the tokens, the request policy and the job runner,
held once on the Starlette app."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from mapekd.api.auth import Caller, Tokens
from mapekd.api.context import ApiContext
from mapekd.api.errors import ApiError
from mapekd.api.jobs import JobRunner
from mapekd.api.policy import RequestPolicy
from mapekd.config.api import Right

PROVIDER_HEADER = "x-llm-provider"
ACTUAL_HEADER = "X-LLM-Actual-Provider"


@dataclass(frozen=True)
class ApiState:
    ctx: ApiContext
    tokens: Tokens
    policy: RequestPolicy
    jobs: JobRunner

    @property
    def max_body(self) -> int:
        return self.ctx.config.max_body_bytes


def state_of(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


def authorize(request: Request, right: Right) -> tuple[ApiState, Caller]:
    state = state_of(request)
    return state, state.tokens.require(request, right)


def pinned_provider(request: Request, in_body: str | None = None) -> str | None:
    """`X-LLM-Provider` (or a body's `provider`) pins the call to one provider, no fallback."""
    header = request.headers.get(PROVIDER_HEADER) or None
    if header and in_body and header != in_body:
        raise ApiError(400, "X-LLM-Provider and the body's provider disagree", param="provider")
    return header or in_body

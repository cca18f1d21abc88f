"""/api/v1/llm/generate and /api/v1/llm/chat: seed 000's request and answer shapes.

{"prompt" | "messages", "provider", "model", "max_tokens", "temperature", "use_cache"}
-> {"text", "model", "provider", "tokens_used", "latency_ms", "cached"}
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mapekd.api.body import read_model
from mapekd.api.openai_wire import MessageIn
from mapekd.api.state import ACTUAL_HEADER, authorize, pinned_provider
from mapekd.llm.types import ChatRequest, Message


class _LLMBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str | None = None
    model: str | None = None
    max_tokens: int = Field(default=512, gt=0)
    temperature: float = Field(default=0.0, ge=0, le=2)
    use_cache: bool = True
    role: str | None = None
    """Route as this caller role (analyze, plan...): the role's provider and model apply."""


class GenerateBody(_LLMBody):
    prompt: str = Field(min_length=1)
    system: str | None = None

    def messages(self) -> tuple[Message, ...]:
        system = (Message("system", self.system),) if self.system else ()
        return (*system, Message("user", self.prompt))


class ChatBody(_LLMBody):
    messages: list[MessageIn] = Field(min_length=1)


async def generate(request: Request) -> Response:
    return await _answer(request, GenerateBody)


async def chat(request: Request) -> Response:
    return await _answer(request, ChatBody)


async def _answer(request: Request, model: type[GenerateBody] | type[ChatBody]) -> Response:
    state, caller = authorize(request, "llm")
    body = await read_model(request, model, state.max_body)
    messages = (
        body.messages() if isinstance(body, GenerateBody) else tuple(m.to_message() for m in body.messages)
    )
    state.policy.admit(caller, [m.content for m in messages], body.model)
    chat_request = ChatRequest(
        messages=messages,
        model=body.model,
        max_tokens=body.max_tokens,
        temperature=body.temperature,
        tenant=caller.name,
        role=body.role,
    )
    started = time.perf_counter()
    completion = await state.ctx.gateway.chat(
        chat_request, provider=pinned_provider(request, body.provider), cache=body.use_cache
    )
    answer = {
        "text": completion.text,
        "model": completion.model,
        "provider": completion.provider,
        "tokens_used": completion.usage.total_tokens,
        "latency_ms": round(1000 * (time.perf_counter() - started), 3),
        "cached": completion.cached,
        "finish_reason": completion.finish_reason,
    }
    return JSONResponse(answer, headers={ACTUAL_HEADER: completion.provider})


ROUTES = [
    Route("/api/v1/llm/generate", generate, methods=["POST"]),
    Route("/api/v1/llm/chat", chat, methods=["POST"]),
]

"""OpenAI-compatible /v1/chat/completions (plain and SSE), /v1/models and /v1/embeddings, all
through the gateway. `X-LLM-Provider` pins a provider; `X-LLM-Actual-Provider` names who answered."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mapekd.api.body import read_model
from mapekd.api.openai_wire import ChatBody, EmbeddingsBody, completion_json, embeddings_json
from mapekd.api.sse import StreamMeta, stream_response
from mapekd.api.state import ACTUAL_HEADER, authorize, pinned_provider
from mapekd.llm.gateway import Gateway
from mapekd.llm.types import EmbeddingRequest

MODELS_TIMEOUT_S = 5.0


async def chat_completions(request: Request) -> Response:
    state, caller = authorize(request, "llm")
    body = await read_model(request, ChatBody, state.max_body)
    state.policy.admit(caller, body.texts(), body.model)
    chat = body.to_request(tenant=caller.name)
    pinned = pinned_provider(request)
    request_id, created = "chatcmpl-" + uuid.uuid4().hex, int(time.time())
    if body.stream:
        meta = StreamMeta(request_id, created, body.model or "default", body.include_usage)
        return await stream_response(state.ctx.gateway.stream(chat, provider=pinned), meta, pinned)
    completion = await state.ctx.gateway.chat(chat, provider=pinned)
    return JSONResponse(
        completion_json(completion, request_id, created), headers={ACTUAL_HEADER: completion.provider}
    )


async def embeddings(request: Request) -> Response:
    state, caller = authorize(request, "llm")
    body = await read_model(request, EmbeddingsBody, state.max_body)
    state.policy.admit(caller, body.texts(), body.model)
    embed = EmbeddingRequest(inputs=tuple(body.texts()), model=body.model, tenant=caller.name)
    result = await state.ctx.gateway.embed(embed, provider=pinned_provider(request))
    return JSONResponse(
        embeddings_json(result, body.encoding_format), headers={ACTUAL_HEADER: result.provider}
    )


async def models(request: Request) -> Response:
    state, _ = authorize(request, "llm")
    listed = await list_models(state.ctx.gateway)
    allowed = set(state.ctx.config.limits.allowed_models)
    data = [
        {"id": model, "object": "model", "created": 0, "owned_by": provider}
        for model, provider in listed
        if not allowed or model in allowed
    ]
    return JSONResponse({"object": "list", "data": data})


async def list_models(gateway: Gateway) -> list[tuple[str, str]]:
    """(model, provider) for every provider: what it lists, else the models it is configured with."""
    slots = [(route, slot) for route in gateway.routes for slot in route.slots]
    answers = await asyncio.gather(
        *(asyncio.wait_for(slot.provider.models(), MODELS_TIMEOUT_S) for _, slot in slots),
        return_exceptions=True,
    )
    seen: dict[tuple[str, str], None] = {}
    for (route, slot), answer in zip(slots, answers, strict=True):
        names: Any = answer if isinstance(answer, list) else [slot.model or route.default_model]
        for name in names:
            if isinstance(name, str) and name:
                seen[(name, route.name)] = None
    return list(seen)


ROUTES = [
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/embeddings", embeddings, methods=["POST"]),
    Route("/v1/models", models, methods=["GET"]),
]

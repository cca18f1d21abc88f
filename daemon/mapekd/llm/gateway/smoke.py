"""The smoke test: for each provider, through the gateway pinned to it (no cache, no fallback):

    reachable   models() answers                   (UnsupportedFeature: skipped)
    chat        a short answer comes back
    json        an answer constrained by a JSON schema parses and has the required key
    embed       an embedding comes back            (UnsupportedFeature: skipped)

A provider passes when no check failed; each failure carries its error class and a hint.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mapekd.errors import LLMError
from mapekd.llm.errors import (
    AllProvidersFailed,
    AuthenticationFailed,
    BadRequest,
    CircuitOpen,
    MalformedResponse,
    NotFound,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    UnsupportedFeature,
)
from mapekd.llm.gateway.core import Gateway
from mapekd.llm.types import ChatRequest, EmbeddingRequest, Message

JSON_HINT = "this model does not follow JSON schemas: the planner cannot use it to decide"


class NotJson(MalformedResponse):
    """The answer to a JSON-schema request is not JSON of that schema."""


HINTS: dict[type[LLMError], str] = {
    NotJson: JSON_HINT,
    ProviderUnavailable: "nothing answers: is the server running, is base_url right?",
    ProviderTimeout: "no answer in time: is the model loaded? raise timeouts.total if slow",
    AuthenticationFailed: "the API key was refused: check api_key / api_keys",
    NotFound: "unknown model or path: check model and base_url",
    RateLimited: "the provider rate-limits this key: lower limits.rpm or add keys",
    BadRequest: "the provider rejected the request (feature unsupported by this model?)",
    MalformedResponse: "the answer is not in the expected format: is it the right API type?",
    CircuitOpen: "the breaker is open after repeated failures: see the earlier errors",
}
STATUS_SCHEMA = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ok", "degraded"]}},
    "required": ["status"],
}

Check = Callable[[Gateway, str], Awaitable[str]]


async def _reachable(gateway: Gateway, name: str) -> str:
    route = next(r for r in gateway.routes if r.name == name)
    models = await route.slots[0].provider.models()
    return f"{len(models)} model(s)"


async def _chat(gateway: Gateway, name: str) -> str:
    request = ChatRequest(messages=(Message("user", "Reply with the single word: pong"),), max_tokens=16)
    completion = await gateway.chat(request, provider=name, cache=False)
    if not completion.text.strip():
        raise MalformedResponse(name, "empty answer")
    return f"{completion.model}: {completion.text.strip()[:40]!r}"


async def _json(gateway: Gateway, name: str) -> str:
    request = ChatRequest(
        messages=(Message("user", 'Report your status as JSON, e.g. {"status": "ok"}.'),),
        max_tokens=64,
        json_schema=STATUS_SCHEMA,
    )
    completion = await gateway.chat(request, provider=name, cache=False)
    try:
        answer = json.loads(completion.text)
    except ValueError as exc:
        raise NotJson(name, f"not JSON: {completion.text[:60]!r}") from exc
    if not isinstance(answer, dict) or "status" not in answer:
        raise NotJson(name, f"no 'status' key: {completion.text[:60]!r}")
    return f"status={answer['status']!r}"


async def _embed(gateway: Gateway, name: str) -> str:
    result = await gateway.embed(EmbeddingRequest(inputs=("smoke test",)), provider=name)
    if not result.vectors or not result.vectors[0]:
        raise MalformedResponse(name, "empty embedding")
    return f"{len(result.vectors[0])} dimensions"


CHECKS: dict[str, Check] = {"reachable": _reachable, "chat": _chat, "json": _json, "embed": _embed}


async def _run_check(check: Check, gateway: Gateway, name: str) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any]
    try:
        detail = await check(gateway, name)
        result = {"ok": True, "detail": detail}
    except UnsupportedFeature as exc:
        result = {"ok": None, "detail": f"unsupported: {exc}"}
    except LLMError as exc:
        cause = exc.errors[-1] if isinstance(exc, AllProvidersFailed) and exc.errors else exc
        result = {
            "ok": False,
            "error": type(cause).__name__,
            "detail": str(cause),
            "hint": HINTS.get(type(cause), ""),
        }
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


async def run_smoke(gateway: Gateway, only: str | None = None) -> dict[str, Any]:
    names = [r.name for r in gateway.routes if only in (None, r.name)]
    if only is not None and not names:
        raise NotFound("gateway", f"no provider named {only!r}")
    providers: dict[str, Any] = {}
    try:
        for name in names:
            checks = {c: await _run_check(fn, gateway, name) for c, fn in CHECKS.items()}
            ok = all(c["ok"] is not False for c in checks.values())
            providers[name] = {"ok": ok, "checks": checks}
    finally:
        await gateway.close()
    return {"ok": all(p["ok"] for p in providers.values()), "providers": providers, "ts": time.time()}

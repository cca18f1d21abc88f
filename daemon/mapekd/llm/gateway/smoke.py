"""The smoke test: for each provider, through the gateway pinned to it (no cache, no fallback):

    reachable   models() answers                   (UnsupportedFeature: skipped)
    chat        a short answer comes back
    json        an answer constrained by a JSON schema parses and has the required key
    embed       an embedding comes back            (UnsupportedFeature: skipped)

A provider passes when no check failed; each failure carries its error class and a hint chosen
by the provider's type and the error's class (see hints). With no providers configured there is
nothing to test: the implicit offline provider (no answers) is reported as skipped, with what to
do, and the smoke does not fail: the configuration is valid and the loop heals from its rules.
`tested` counts the providers actually checked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mapekd.errors import LLMError
from mapekd.llm.config import IMPLICIT_NOTE
from mapekd.llm.errors import AllProvidersFailed, MalformedResponse, NotFound, UnsupportedFeature
from mapekd.llm.gateway.core import Gateway
from mapekd.llm.gateway.hints import IMPLICIT_HINT, NotJson, hint_for
from mapekd.llm.gateway.routes import Route
from mapekd.llm.types import ChatRequest, EmbeddingRequest, Message

STATUS_SCHEMA = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ok", "degraded"]}},
    "required": ["status"],
}

Check = Callable[[Gateway, str], Awaitable[str]]
SKIPPED_IMPLICIT: dict[str, Any] = {"ok": None, "note": IMPLICIT_NOTE, "hint": IMPLICIT_HINT, "checks": {}}


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


async def _run_check(check: Check, gateway: Gateway, route: Route) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any]
    try:
        detail = await check(gateway, route.name)
        result = {"ok": True, "detail": detail}
    except UnsupportedFeature as exc:
        result = {"ok": None, "detail": f"unsupported: {exc}"}
    except LLMError as exc:
        cause = exc.errors[-1] if isinstance(exc, AllProvidersFailed) and exc.errors else exc
        result = {
            "ok": False,
            "error": type(cause).__name__,
            "detail": str(cause),
            "hint": hint_for(route.config.type, type(cause)),
        }
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


async def run_smoke(gateway: Gateway, only: str | None = None) -> dict[str, Any]:
    routes = [r for r in gateway.routes if only in (None, r.name)]
    if only is not None and not routes:
        raise NotFound("gateway", f"no provider named {only!r}")
    providers: dict[str, Any] = {}
    try:
        for route in routes:
            if route.implicit:  # nothing configured to test: skipped, saying what to do
                providers[route.name] = SKIPPED_IMPLICIT
                continue
            checks = {c: await _run_check(fn, gateway, route) for c, fn in CHECKS.items()}
            ok = all(c["ok"] is not False for c in checks.values())
            providers[route.name] = {"ok": ok, "checks": checks}
    finally:
        await gateway.close()
    return {
        "ok": all(p["ok"] is not False for p in providers.values()),
        "tested": sum(p["ok"] is not None for p in providers.values()),
        "providers": providers,
        "ts": time.time(),
    }

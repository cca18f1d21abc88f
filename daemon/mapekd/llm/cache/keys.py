"""Cache keys: EVERY field that can change an answer, plus the tenant.

Field by field: model, role (it selects the model), the provider a call is pinned to, messages
(role and exact content), max_tokens, temperature, top_p, stop, seed, json_schema, tools,
provider options, tenant. Only `task` (a budget scope) is left out. Mappings are serialised with
sorted keys, so {"a":1,"b":2} and {"b":2,"a":1} agree; numbers as floats, so 0 and 0.0 agree.
A test fails when a new ChatRequest field is neither keyed nor listed as ignored here.

The exact key is the tuple of those values itself, not a digest of them: the cache's dict
compares keys by equality, so no hash collision can ever serve another request's answer, and
building it costs a couple of microseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from mapekd.llm.types import ChatRequest

IGNORED_FIELDS = frozenset({"task"})
"""ChatRequest fields that cannot change the answer."""

SCOPE_FIELDS = (
    "model",
    "role",
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "seed",
    "json_schema",
    "tools",
    "options",
    "tenant",
)
"""Everything but the messages."""


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    return repr(value)


def _canonical(value: Any) -> str:
    """Nested mappings and lists (json_schema, tools, options) as canonical JSON; "" if empty."""
    if not value:
        return ""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _scope(request: ChatRequest, provider: str | None) -> tuple[Any, ...]:
    top_p = None if request.top_p is None else float(request.top_p)
    return (
        request.model,
        request.role,
        provider,
        request.max_tokens,
        float(request.temperature),
        top_p,
        request.stop,
        request.seed,
        _canonical(request.json_schema),
        _canonical(request.tools),
        _canonical(request.options),
        request.tenant,
    )


def _digest(parts: tuple[Any, ...]) -> str:
    """Strings, numbers, None and tuples of them have a canonical repr: hash that."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


CacheKey = tuple[Any, ...]


def exact_key(request: ChatRequest, provider: str | None = None) -> CacheKey:
    """The exact-cache key; `provider` is the provider a call is pinned to, if any."""
    messages = tuple((m.role, m.content) for m in request.messages)
    return (*_scope(request, provider), messages)


def semantic_scope(request: ChatRequest, provider: str | None = None) -> str:
    """The semantic cache's scope: everything exact except the last message, which is compared
    by meaning (the conversation before it must match exactly)."""
    history = tuple((m.role, m.content) for m in request.messages[:-1])
    return _digest(("semantic", *_scope(request, provider), history))

"""Request bodies: refused with 413 before they are read whole (Content-Length, then the bytes
actually received), then parsed as a JSON object and validated into a pydantic model (400).
Nesting deeper than MAX_JSON_DEPTH is refused (400) before parsing: the parser recurses per level,
and so would everything that walks the value afterwards. The whole body must arrive within
BODY_TIMEOUT_S of the head (408): a client dripping it would hold a connection and a task.
(The head has its own deadline, api.limits.header_timeout, in api/guard.py.)"""

from __future__ import annotations

import asyncio
import json
import re
from itertools import accumulate
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from mapekd.api.errors import ApiError

M = TypeVar("M", bound=BaseModel)
BODY_TIMEOUT_S = 10.0
MAX_JSON_DEPTH = 64
"""Arrays and objects inside one another; an OpenAI request with tool schemas needs far fewer."""
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "invalid Content-Length")
        if int(declared) > limit:
            raise _too_large(limit)
    raw = await _body(request, limit)
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise ApiError(400, f"the body nests deeper than {MAX_JSON_DEPTH} levels", code="invalid_json")
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(value, dict):
        raise ApiError(400, "the body must be a JSON object", code="invalid_json")
    return value


async def _body(request: Request, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                parts.append(chunk)
    except TimeoutError:
        raise ApiError(408, f"the body did not arrive within {BODY_TIMEOUT_S:g}s", code="timeout") from None
    return b"".join(parts)


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in `raw` (brackets inside strings not counted)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be deeper: skip the scan (nearly every request)
    brackets = _STRING.sub(b"", raw).translate(None, delete=_NOT_BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        param = ".".join(str(p) for p in error["loc"]) or None
        message = f"{param}: {error['msg']}" if param else str(error["msg"])
        raise ApiError(400, message, param=param) from None


async def read_model(request: Request, model: type[M], limit: int) -> M:
    return validate(model, await read_json(request, limit))


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the request body exceeds {limit} bytes", code="body_too_large")

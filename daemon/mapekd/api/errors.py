"""HTTP errors: one JSON shape everywhere (OpenAI's), and the one place where our exception tree
becomes HTTP statuses, by type, most specific first.

    {"error": {"message": "...", "type": "invalid_request_error", "param": null, "code": null}}
"""

from __future__ import annotations

import math
from typing import Any

from starlette.responses import JSONResponse

from mapekd.errors import ApprovalError, LLMError, MapekdError, StoreError
from mapekd.llm import errors as e

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        kind = _TYPES.get(self.status, "server_error" if self.status >= 500 else "invalid_request_error")
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}

    def with_message(self, message: str) -> ApiError:
        return ApiError(self.status, message, code=self.code, param=self.param, headers=self.headers)

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


_BY_TYPE: tuple[tuple[type[MapekdError], int, str], ...] = (
    (e.UnsupportedFeature, 501, "unsupported"),
    (e.CircuitOpen, 503, "circuit_open"),
    (e.BadRequest, 400, "upstream_bad_request"),
    (e.NotFound, 404, "not_found"),
    (e.ProviderTimeout, 504, "upstream_timeout"),
    (e.ModelLoadFailed, 503, "model_unavailable"),
    (e.ProviderError, 502, "upstream_error"),
    (ApprovalError, 409, "approval_not_pending"),
    (StoreError, 503, "store_error"),
)
"""Most specific first: the first matching type decides."""


def from_error(exc: MapekdError) -> ApiError:
    """The HTTP answer to one of our errors."""
    if isinstance(exc, e.AllProvidersFailed):
        return _all_failed(exc)
    if isinstance(exc, e.RateLimitExceeded):
        return ApiError(429, str(exc), code="rate_limit_exceeded", headers=_retry_after(exc.wait_s))
    if isinstance(exc, e.BudgetExceeded):
        # Waiting does not help: tell the OpenAI SDKs not to retry.
        return ApiError(429, str(exc), code="budget_exceeded", headers={"x-should-retry": "false"})
    for kind, status, code in _BY_TYPE:
        if isinstance(exc, kind):
            return ApiError(status, str(exc), code=code)
    return ApiError(500, f"{type(exc).__name__}: {exc}", code="internal_error")


def _all_failed(exc: e.AllProvidersFailed) -> ApiError:
    """Every route failed: the request's own fault when every provider said so, else upstream's."""
    errors: list[LLMError] = exc.errors
    for kind in (e.NotFound, e.BadRequest):
        if errors and all(isinstance(err, kind) for err in errors):
            return from_error(errors[0]).with_message(str(exc))
    local = (e.RateLimitExceeded, e.CircuitOpen, e.RateLimited, e.Overloaded)
    if errors and all(isinstance(err, local) for err in errors):
        waits = [w for err in errors if (w := _wait_of(err)) is not None]
        headers = _retry_after(min(waits)) if waits else {}
        return ApiError(503, str(exc), code="providers_unavailable", headers=headers)
    return ApiError(502, str(exc), code="all_providers_failed")


def _wait_of(err: LLMError) -> float | None:
    if isinstance(err, e.RateLimitExceeded):
        return err.wait_s
    if isinstance(err, e.RateLimited | e.Overloaded):
        return err.retry_after
    return None


def _retry_after(seconds: float) -> dict[str, str]:
    if math.isinf(seconds):
        return {"x-should-retry": "false"}
    return {"retry-after": str(max(1, math.ceil(seconds)))}

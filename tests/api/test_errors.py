"""Every error of ours has a deliberate HTTP status (mapped by type, in one place)."""

from __future__ import annotations

import inspect

import pytest

from mapekd import errors as core
from mapekd.api.errors import from_error
from mapekd.llm import errors as e

CASES: list[tuple[core.MapekdError, int]] = [
    (e.BadRequest("p", "bad"), 400),
    (e.NotFound("p", "no model"), 404),
    (e.UnsupportedFeature("no embeddings"), 501),
    (e.RateLimitExceeded("slow down", wait_s=2.5), 429),
    (e.BudgetExceeded("daily budget"), 429),
    (e.CircuitOpen("p"), 503),
    (e.ProviderTimeout("p", "late"), 504),
    (e.ModelLoadFailed("p", "no gguf"), 503),
    (e.ProviderUnavailable("p", "refused"), 502),
    (e.RateLimited("p", "429", retry_after=3), 502),
    (e.Overloaded("p", "503"), 502),
    (e.ServerError("p", "500"), 502),
    (e.AuthenticationFailed("p", "401"), 502),
    (e.MalformedResponse("p", "junk"), 502),
    (e.StreamInterrupted("p", "cut"), 502),
    (e.ProviderError("p", "other"), 502),
    (e.AllProvidersFailed([e.NotFound("a", "x"), e.NotFound("b", "y")]), 404),
    (e.AllProvidersFailed([e.BadRequest("a", "x")]), 400),
    (e.AllProvidersFailed([e.CircuitOpen("a"), e.RateLimited("b", "429", retry_after=7)]), 503),
    (e.AllProvidersFailed([e.ServerError("a", "500"), e.NotFound("b", "x")]), 502),
    (core.ApprovalError("expired"), 409),
    (core.StoreError("disk full"), 503),
    (core.ActionError("nope"), 500),
]


@pytest.mark.parametrize(
    ("error", "status"), CASES, ids=lambda v: type(v).__name__ if not isinstance(v, int) else ""
)
def test_status_by_type(error: core.MapekdError, status: int) -> None:
    mapped = from_error(error)
    assert mapped.status == status
    body = mapped.body()["error"]
    assert set(body) == {"message", "type", "param", "code"} and body["message"]


def test_retry_hints() -> None:
    assert from_error(e.RateLimitExceeded("x", wait_s=2.5)).headers == {"retry-after": "3"}
    assert from_error(e.RateLimitExceeded("x", wait_s=float("inf"))).headers == {"x-should-retry": "false"}
    assert from_error(e.BudgetExceeded("x")).headers == {"x-should-retry": "false"}
    unavailable = e.AllProvidersFailed([e.CircuitOpen("a"), e.RateLimited("b", "429", retry_after=7)])
    assert from_error(unavailable).headers == {"retry-after": "7"}


def test_every_llm_error_class_is_covered() -> None:
    classes = {c for _, c in inspect.getmembers(e, inspect.isclass) if issubclass(c, core.MapekdError)}
    covered = {type(error) for error, _ in CASES}
    assert classes - {e._RetryAfter, core.LLMError} <= covered

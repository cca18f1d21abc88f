"""httpx exceptions and HTTP statuses -> our tree, by type and status only."""

from __future__ import annotations

import email.utils
import inspect

import httpx
import pytest

from mapekd.llm import errors
from mapekd.llm.providers.http_errors import (
    TRANSPORT_ERRORS,
    error_for_status,
    map_transport_error,
    redact,
    retry_after,
)


def httpx_exception_classes() -> list[type[BaseException]]:
    return [obj for _, obj in inspect.getmembers(httpx, inspect.isclass) if issubclass(obj, BaseException)]


def test_every_httpx_exception_class_is_mapped_explicitly() -> None:
    unmapped = [cls.__name__ for cls in httpx_exception_classes() if cls not in TRANSPORT_ERRORS]
    assert not unmapped, f"map these httpx exceptions in http_errors.py: {unmapped}"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused"), errors.ProviderUnavailable),
        (httpx.ConnectTimeout("slow"), errors.ProviderTimeout),
        (httpx.ReadTimeout("slow"), errors.ProviderTimeout),
        (httpx.WriteTimeout("slow"), errors.ProviderTimeout),
        (httpx.PoolTimeout("full"), errors.ProviderTimeout),
        (httpx.RemoteProtocolError("closed"), errors.ProviderUnavailable),
        (httpx.ReadError("reset"), errors.ProviderUnavailable),
        (httpx.DecodingError("gzip"), errors.MalformedResponse),
        (httpx.UnsupportedProtocol("ftp"), errors.BadRequest),
        (httpx.InvalidURL("bad"), errors.BadRequest),
        (httpx.StreamClosed(), errors.StreamInterrupted),
    ],
)
def test_transport_errors_map_by_type(exc: Exception, expected: type) -> None:
    mapped = map_transport_error(exc, "p")
    assert type(mapped) is expected
    assert mapped.provider == "p"


@pytest.mark.parametrize(
    "exc", [httpx.ReadError("reset"), httpx.RemoteProtocolError("eof"), httpx.ReadTimeout("slow")]
)
def test_after_the_first_chunk_everything_is_stream_interrupted(exc: Exception) -> None:
    assert type(map_transport_error(exc, "p", mid_stream=True)) is errors.StreamInterrupted


def test_a_subclass_unknown_to_the_table_maps_through_its_parent() -> None:
    class Custom(httpx.ConnectError):
        pass

    assert type(map_transport_error(Custom("x"), "p")) is errors.ProviderUnavailable


def test_http_status_error_maps_by_its_status() -> None:
    request = httpx.Request("GET", "http://x")
    response = httpx.Response(429, headers={"retry-after": "2"}, request=request)
    mapped = map_transport_error(httpx.HTTPStatusError("x", request=request, response=response), "p")
    assert isinstance(mapped, errors.RateLimited)
    assert mapped.retry_after == 2.0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadRequest),
        (401, errors.AuthenticationFailed),
        (403, errors.AuthenticationFailed),
        (404, errors.NotFound),
        (409, errors.BadRequest),
        (422, errors.BadRequest),
        (429, errors.RateLimited),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.Overloaded),
        (504, errors.ServerError),
        (529, errors.Overloaded),
    ],
)
def test_statuses(status: int, expected: type) -> None:
    error = error_for_status("p", status, {})
    assert type(error) is expected
    assert error.status == status
    assert error.retryable == (status >= 500 or status == 429)


def test_retry_after_seconds_date_and_millis() -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after({"retry-after": "12"}) == 12.0
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"retry-after": date}, now=now) == pytest.approx(30.0)
    assert retry_after({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}, now=now) == 0.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


def test_retry_after_reaches_the_error() -> None:
    error = error_for_status("p", 503, httpx.Headers({"Retry-After": "4"}))
    assert isinstance(error, errors.Overloaded)
    assert error.retry_after == 4.0


def test_redact_hides_every_secret() -> None:
    assert redact("key sk-123 and sk-123 and sk-9", ["sk-123", "", "sk-9"]) == "key *** and *** and ***"
    error = map_transport_error(httpx.ConnectError("to http://u:sk-123@h"), "p", secrets=["sk-123"])
    assert "sk-123" not in str(error)

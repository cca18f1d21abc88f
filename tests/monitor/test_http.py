"""HttpCheck through the daemon's shared health-check client, against real servers on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from pydantic import SecretStr

from mapekd.errors import ConfigError
from mapekd.monitor.http import BODY_REGEX_LIMIT, HttpCheck
from mapekd.shared_http import SharedHttp

from .conftest import reply

SECRET = "canary-3f9a1c-secret"


def healthy(handler: BaseHTTPRequestHandler) -> None:
    reply(handler, 200, b'{"status": "green"}', Content_Type="application/json")


def missing(handler: BaseHTTPRequestHandler) -> None:
    reply(handler, 404, b"no such thing")


def needs_token(handler: BaseHTTPRequestHandler) -> None:
    authorized = handler.headers.get("X-Token") == SECRET
    reply(handler, 200 if authorized else 401, b"")


def moved(handler: BaseHTTPRequestHandler) -> None:
    reply(handler, 302, b"", Location="/health")


def sets_a_cookie(handler: BaseHTTPRequestHandler) -> None:
    reply(handler, 200, handler.headers.get("Cookie", "no cookie").encode(), Set_Cookie="session=abc")


def marker_past_the_cap(handler: BaseHTTPRequestHandler) -> None:
    reply(handler, 200, b"x" * BODY_REGEX_LIMIT + b"MARKER")


def endless(handler: BaseHTTPRequestHandler) -> None:
    """A body that never ends: written until the client hangs up."""
    handler.send_response(200)
    handler.end_headers()  # HTTP/1.0 framing: the body runs until the close
    block = b"y" * 65536
    try:
        while True:
            handler.wfile.write(block)
    except OSError:
        pass


@pytest.fixture
async def http() -> AsyncIterator[SharedHttp]:
    shared = SharedHttp()
    yield shared
    await shared.aclose()


@pytest.fixture
def hits() -> list[str]:
    return []


@pytest.fixture
def base_url(serve, hits: list[str]) -> str:
    def counted(route):  # type: ignore[no-untyped-def]
        def handle(handler: BaseHTTPRequestHandler) -> None:
            hits.append(handler.path)
            route(handler)

        return handle

    routes = {
        "/health": healthy,
        "/missing": missing,
        "/private": needs_token,
        "/moved": moved,
        "/big": marker_past_the_cap,
        "/endless": endless,
        "/cookie": sets_a_cookie,
    }
    return serve({path: counted(route) for path, route in routes.items()})


def check(http: SharedHttp, name: str, url: str, **options: object) -> HttpCheck:
    return HttpCheck(name, url, client=http.checks, **options)  # type: ignore[arg-type]


async def test_expected_status_is_ok(http: SharedHttp, base_url: str) -> None:
    [sample] = await check(http, "web", f"{base_url}/health").collect()

    assert sample.target == "http:web"
    assert sample.ok and sample.error is None
    assert sample.fields["status"] == 200 and sample.fields["body_match"] is None
    assert 0 <= sample.fields["latency_ms"] < 5000


async def test_unexpected_status_is_not_ok(http: SharedHttp, base_url: str) -> None:
    [sample] = await check(http, "web", f"{base_url}/missing").collect()

    assert not sample.ok and sample.fields["status"] == 404 and sample.error is None


async def test_status_list_is_configurable(http: SharedHttp, base_url: str) -> None:
    [sample] = await check(http, "web", f"{base_url}/missing", expect_status=[404]).collect()

    assert sample.ok


async def test_body_regex_match_and_mismatch(http: SharedHttp, base_url: str) -> None:
    url = f"{base_url}/health"
    [green] = await check(http, "a", url, body_regex=r'"status":\s*"green"').collect()
    [red] = await check(http, "b", url, body_regex=r'"status":\s*"red"').collect()

    assert green.ok and green.fields["body_match"] is True
    assert not red.ok and red.fields["body_match"] is False and red.fields["status"] == 200


async def test_a_redirect_is_a_status_and_is_not_followed(
    http: SharedHttp, base_url: str, hits: list[str]
) -> None:
    [sample] = await check(http, "web", f"{base_url}/moved").collect()
    [strict] = await check(http, "web", f"{base_url}/moved", expect_status=[200]).collect()

    assert sample.ok and sample.fields["status"] == 302
    assert not strict.ok and strict.fields["status"] == 302
    assert hits == ["/moved", "/moved"]  # /health, where it points, was never asked


async def test_the_regex_sees_only_the_first_bytes_of_the_body(http: SharedHttp, base_url: str) -> None:
    url = f"{base_url}/big"
    [past] = await check(http, "a", url, body_regex="MARKER").collect()
    [within] = await check(http, "b", url, body_regex="^x{100}").collect()

    assert past.fields["status"] == 200 and past.fields["body_match"] is False and not past.ok
    assert within.ok and within.fields["body_match"] is True


async def test_an_endless_body_is_read_up_to_the_cap_only(http: SharedHttp, base_url: str) -> None:
    started = time.monotonic()
    [sample] = await check(http, "web", f"{base_url}/endless", body_regex="^y+$", timeout=20).collect()

    assert sample.ok and sample.fields["body_match"] is True and sample.error is None
    assert time.monotonic() - started < 15  # well before the timeout: reading stopped at the cap


async def test_no_proxy_is_taken_from_the_environment(
    http: SharedHttp, base_url: str, refused_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, refused_url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with httpx.AsyncClient() as honouring_env:  # what a client with trust_env does
        with pytest.raises((httpx.ConnectError, httpx.ProxyError)):  # it went to the dead proxy
            await honouring_env.get(f"{base_url}/health")

    [sample] = await check(http, "web", f"{base_url}/health").collect()

    assert sample.ok and sample.fields["status"] == 200


async def test_no_cookie_is_kept(http: SharedHttp, base_url: str) -> None:
    check_ = check(http, "web", f"{base_url}/cookie", body_regex="^no cookie$")

    [first] = await check_.collect()
    [second] = await check_.collect()

    assert first.ok and second.ok and second.fields["body_match"] is True
    assert len(http.checks.cookies.jar) == 0


async def test_head_and_secret_headers_are_sent(http: SharedHttp, base_url: str) -> None:
    url = f"{base_url}/private"
    headers = {"X-Token": SecretStr(SECRET)}
    [sent] = await check(http, "a", url, method="HEAD", headers=headers).collect()
    [without] = await check(http, "b", url, method="HEAD").collect()

    assert sent.ok and sent.fields["status"] == 200
    assert without.fields["status"] == 401
    assert SECRET not in repr(sent)


async def test_refused_connection_is_a_result(http: SharedHttp, refused_url: str) -> None:
    headers = {"X-Token": SecretStr(SECRET)}
    [sample] = await check(http, "web", refused_url, headers=headers).collect()

    assert not sample.ok and sample.fields["status"] is None
    assert (sample.error or "").startswith("ConnectError")
    assert SECRET not in repr(sample)


async def test_a_server_that_never_answers_times_out(http: SharedHttp, silent_server: str) -> None:
    started = time.monotonic()

    [sample] = await check(http, "web", silent_server, timeout=0.5).collect()

    assert time.monotonic() - started < 3
    assert not sample.ok and sample.fields["status"] is None
    assert (sample.error or "").startswith("timeout")


def test_an_invalid_body_regex_is_a_config_error(http: SharedHttp) -> None:
    with pytest.raises(ConfigError, match="body_regex"):
        check(http, "web", "http://127.0.0.1/", body_regex="(")


@pytest.mark.parametrize("url", ["ftp://example.test/", "http:///nohost"])
def test_a_url_that_is_not_http_is_a_config_error(http: SharedHttp, url: str) -> None:
    with pytest.raises(ConfigError, match=r"url|URL"):
        check(http, "web", url)


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "ünicode-€"])
def test_a_header_that_cannot_be_sent_as_it_is_is_a_config_error(http: SharedHttp, value: str) -> None:
    with pytest.raises(ConfigError, match="X-Token"):
        check(http, "web", "http://127.0.0.1/", headers={"X-Token": SecretStr(value)})

"""HttpCheck against real servers on 127.0.0.1."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

import pytest
from pydantic import SecretStr

from mapekd.errors import ConfigError
from mapekd.monitor.http import HttpCheck

from .conftest import reply

SECRET = "canary-3f9a1c-secret"


def healthy(handler: BaseHTTPRequestHandler) -> None:
    reply(handler, 200, b'{"status": "green"}', Content_Type="application/json")


def missing(handler: BaseHTTPRequestHandler) -> None:
    reply(handler, 404, b"no such thing")


def needs_token(handler: BaseHTTPRequestHandler) -> None:
    authorized = handler.headers.get("X-Token") == SECRET
    reply(handler, 200 if authorized else 401, b"")


@pytest.fixture
def base_url(serve) -> str:
    return serve({"/health": healthy, "/missing": missing, "/private": needs_token})


async def test_expected_status_is_ok(base_url: str) -> None:
    [sample] = await HttpCheck("web", f"{base_url}/health").collect()

    assert sample.target == "http:web"
    assert sample.ok and sample.error is None
    assert sample.fields["status"] == 200 and sample.fields["body_match"] is None
    assert 0 <= sample.fields["latency_ms"] < 5000


async def test_unexpected_status_is_not_ok(base_url: str) -> None:
    [sample] = await HttpCheck("web", f"{base_url}/missing").collect()

    assert not sample.ok and sample.fields["status"] == 404 and sample.error is None


async def test_status_list_is_configurable(base_url: str) -> None:
    check = HttpCheck("web", f"{base_url}/missing", expect_status=[404])

    [sample] = await check.collect()

    assert sample.ok


async def test_body_regex_match_and_mismatch(base_url: str) -> None:
    url = f"{base_url}/health"
    [green] = await HttpCheck("a", url, body_regex=r'"status":\s*"green"').collect()
    [red] = await HttpCheck("b", url, body_regex=r'"status":\s*"red"').collect()

    assert green.ok and green.fields["body_match"] is True
    assert not red.ok and red.fields["body_match"] is False and red.fields["status"] == 200


async def test_head_and_secret_headers_are_sent(base_url: str) -> None:
    url = f"{base_url}/private"
    headers = {"X-Token": SecretStr(SECRET)}
    [sent] = await HttpCheck("a", url, method="HEAD", headers=headers).collect()
    [without] = await HttpCheck("b", url, method="HEAD").collect()

    assert sent.ok and sent.fields["status"] == 200
    assert without.fields["status"] == 401
    assert SECRET not in repr(sent)


async def test_refused_connection_is_a_result(refused_url: str) -> None:
    headers = {"X-Token": SecretStr(SECRET)}
    [sample] = await HttpCheck("web", refused_url, headers=headers).collect()

    assert not sample.ok and sample.fields["status"] is None
    assert (sample.error or "").startswith("ConnectError")
    assert SECRET not in repr(sample)


async def test_a_server_that_never_answers_times_out(silent_server: str) -> None:
    check = HttpCheck("web", silent_server, timeout=0.5)
    started = time.monotonic()

    [sample] = await check.collect()

    assert time.monotonic() - started < 3
    assert not sample.ok and sample.fields["status"] is None
    assert (sample.error or "").startswith("timeout")


def test_an_invalid_body_regex_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="body_regex"):
        HttpCheck("web", "http://127.0.0.1/", body_regex="(")


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "ünicode-€"])
def test_a_header_that_cannot_be_sent_as_it_is_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="X-Token"):
        HttpCheck("web", "http://127.0.0.1/", headers={"X-Token": SecretStr(value)})

"""An HTTP check's last failing probe as evidence, against real servers on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from http.server import BaseHTTPRequestHandler

import pytest
from pydantic import SecretStr

from mapekd.evidence.base import EvidenceRequest
from mapekd.evidence.http import HttpGatherer
from mapekd.monitor.http import EXCERPT_BYTES, HttpCheck
from mapekd.shared_http import SharedHttp
from tests.conftest import free_port
from tests.monitor.conftest import reply

SECRET = "canary-77ab-secret"


def broken(handler: BaseHTTPRequestHandler) -> None:
    echo = handler.headers.get("X-Token", "")
    body = f"<h1>503</h1>\n\nupstream db: connection refused (token {echo})\n" + "z" * 5000
    reply(handler, 503, body.encode())


def healthy(handler: BaseHTTPRequestHandler) -> None:
    reply(handler, 200, b"fine")


def request(since: float, *, max_items: int = 50, max_bytes: int = 65_536) -> EvidenceRequest:
    return EvidenceRequest(1, "web", "http:web", time.time(), since, 5.0, max_items, max_bytes)


@pytest.fixture
async def http() -> AsyncIterator[SharedHttp]:
    shared = SharedHttp()
    yield shared
    await shared.aclose()


@pytest.fixture
def base_url(serve: Callable[[dict[str, Callable[[BaseHTTPRequestHandler], None]]], str]) -> str:
    return serve({"/broken": broken, "/health": healthy})


async def test_a_failing_probe_gives_status_latency_and_a_capped_masked_excerpt(
    http: SharedHttp, base_url: str
) -> None:
    since = time.time() - 1
    url = f"{base_url}/broken".replace("http://", "http://user:pw@")
    check = HttpCheck("web", url, client=http.checks, headers={"X-Token": SecretStr(SECRET)})
    await check.collect()
    failure = check.last_failure
    assert failure is not None and failure.status == 503
    assert len(failure.excerpt.encode()) <= EXCERPT_BYTES and SECRET not in failure.excerpt
    items = HttpGatherer(check).gather(request(since))
    assert items[0].text.startswith("status 503 after ") and items[0].text.endswith(" ms")
    assert [item.text for item in items[1:3]] == [
        "<h1>503</h1>",
        "upstream db: connection refused (token ***)",
    ]
    assert all(
        item.kind == "http" and "pw" not in item.source and item.source.endswith("/broken") for item in items
    )
    assert sum(len(item.text) for item in items) <= EXCERPT_BYTES + 100


async def test_a_success_keeps_the_last_failure_but_a_stale_one_is_not_shown(
    http: SharedHttp, base_url: str
) -> None:
    check = HttpCheck("web", f"{base_url}/health", client=http.checks, body_regex="never")
    await check.collect()
    assert HttpGatherer(check).gather(request(time.time() - 60))[0].text.endswith("body_regex did not match")
    assert HttpGatherer(check).gather(request(time.time() + 1)) == []
    fine = HttpCheck("ok", f"{base_url}/health", client=http.checks)
    await fine.collect()
    assert fine.last_failure is None and HttpGatherer(fine).gather(request(0)) == []


async def test_no_answer_is_told_with_the_error(http: SharedHttp) -> None:
    check = HttpCheck("web", f"http://127.0.0.1:{free_port()}/", client=http.checks, timeout=2.0)
    await check.collect()
    [item] = HttpGatherer(check).gather(request(time.time() - 60))
    assert item.text.startswith("no answer after ") and "ConnectError" in item.text


async def test_the_bounds_keep_the_summary_first(http: SharedHttp, base_url: str) -> None:
    check = HttpCheck("web", f"{base_url}/broken", client=http.checks)
    await check.collect()
    items = HttpGatherer(check).gather(request(0, max_items=2, max_bytes=1000))
    assert len(items) == 2 and items[0].text.startswith("status 503")

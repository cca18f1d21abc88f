"""Plain JSON calls sent straight over the lean transport's connections: on the wire they are what
httpx sends, and their answers read as httpx's do."""

from __future__ import annotations

import gzip

import httpx
import pytest
from pydantic import SecretStr

from mapekd.llm.errors import RateLimited
from mapekd.llm.providers.http_direct import DirectJson
from mapekd.llm.providers.http_transport import LeanTransport
from mapekd.llm.providers.registry import build_provider
from mapekd.llm.types import ChatRequest, Message

from ..fakes.raw_server import Answer, RawRequest, RawServer, response
from .harness import config

PAYLOAD = {"model": "m", "messages": [{"role": "user", "content": "é ünïcode"}], "temperature": 0.0}


def pair(server: RawServer) -> tuple[httpx.AsyncClient, DirectJson]:
    transport = LeanTransport()
    http = httpx.AsyncClient(
        base_url=server.url + "/v1", headers={"Authorization": "Bearer sk-1"}, transport=transport
    )
    return http, DirectJson(http, transport.pool)


async def test_a_call_goes_out_as_httpx_sends_it() -> None:
    async with RawServer() as server:
        http, direct = pair(server)
        await http.post("/chat/completions", json=PAYLOAD)
        await direct.request("POST", "/chat/completions", PAYLOAD)
        await http.get("/models")
        await direct.request("GET", "/models")
        await http.aclose()
    by_httpx, by_direct = server.requests[0::2], server.requests[1::2]
    assert [(r.line, r.headers, r.body) for r in by_direct] == [(r.line, r.headers, r.body) for r in by_httpx]
    assert by_direct[0].line == "POST /v1/chat/completions HTTP/1.1"
    assert "content-length" not in by_direct[1].headers
    assert server.connections == 1


async def test_an_error_answer_keeps_its_status_headers_and_body() -> None:
    async def limited(_: RawRequest) -> Answer:
        return Answer(
            response(b'{"error":{"message":"slow down"}}', "429 Too Many Requests", "retry-after: 7")
        )

    async with RawServer(limited) as server:
        http, direct = pair(server)
        answer = await direct.request("POST", "/chat/completions", PAYLOAD)
        await http.aclose()
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "7")
    assert answer.json() == {"error": {"message": "slow down"}}


async def test_a_compressed_answer_is_decoded() -> None:
    async def packed(_: RawRequest) -> Answer:
        return Answer(response(gzip.compress(b'{"id":"x"}'), "200 OK", "content-encoding: gzip"))

    async with RawServer(packed) as server:
        http, direct = pair(server)
        assert (await direct.request("GET", "/models")).json() == {"id": "x"}
        await http.aclose()


async def test_a_plain_http_provider_calls_over_kept_alive_connections() -> None:
    calls = 0

    async def answer(_: RawRequest) -> Answer:
        nonlocal calls
        calls += 1
        if calls == 3:
            return Answer(response(b"{}", "429 Too Many Requests", "retry-after: 3"))
        body = b'{"model":"m","choices":[{"message":{"content":"restart nginx"},"finish_reason":"stop"}]}'
        return Answer(response(body, "200 OK", "content-type: application/json"))

    async with RawServer(answer) as server:
        raw = {"name": "up", "type": "openai_compat", "base_url": server.url + "/v1", "model": "m"}
        provider = build_provider(config(raw), api_key=SecretStr("sk-1"))
        request = ChatRequest(messages=(Message("user", "nginx is down"),))
        texts = [(await provider.chat(request)).text for _ in range(2)]
        with pytest.raises(RateLimited) as limited:
            await provider.chat(request)
        await provider.close()
    assert texts == ["restart nginx"] * 2
    assert limited.value.retry_after == 3.0
    assert server.connections == 1
    assert server.requests[0].headers["authorization"] == "Bearer sk-1"

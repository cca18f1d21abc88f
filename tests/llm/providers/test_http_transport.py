"""The lean transport against a real loopback server: HTTP/1.1 framing (length, chunked, close),
broken answers raised as httpx's exceptions, and which upstreams get it at all."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import httpx
import pytest

from mapekd.llm.providers.http_transport import LeanTransport, lean_transport_for
from tests.conftest import free_port

from ..fakes.raw_server import Answer, RawRequest, RawServer, Respond, gated_chunks, response


def client(server: RawServer, read: float = 10.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, transport=LeanTransport(), timeout=httpx.Timeout(read))


def answering(*answers: Answer) -> Respond:
    queue = list(answers)

    async def respond(_: RawRequest) -> Answer:
        return queue.pop(0)

    return respond


async def test_answers_share_one_kept_alive_connection() -> None:
    async with RawServer() as server, client(server) as http:
        for _ in range(3):
            assert (await http.post("/v1/chat", json={"q": 1})).json() == {"ok": True}
    assert server.connections == 1
    assert [r.body for r in server.requests] == [b'{"q":1}'] * 3


async def test_a_body_that_ends_with_the_connection_is_read_whole_and_not_reused() -> None:
    eof = Answer(response(b"until the end", "200 OK", length=False), close=True)
    async with RawServer(answering(eof, eof)) as server, client(server) as http:
        assert (await http.get("/")).text == "until the end"
        assert (await http.get("/")).text == "until the end"
    assert server.connections == 2


async def test_connection_close_from_the_server_is_honoured() -> None:
    closing = Answer(response(b"{}", "200 OK", "connection: close"))
    async with RawServer(answering(closing, closing)) as server, client(server) as http:
        await http.get("/")
        await http.get("/")
    assert server.connections == 2


async def test_a_chunked_body_arrives_piece_by_piece() -> None:
    gate = asyncio.Event()
    answers = answering(gated_chunks(gate, b"one", b"two"), Answer(response(b"next")))
    async with RawServer(answers) as server, client(server) as http:
        async with http.stream("GET", "/") as streamed:
            pieces = streamed.aiter_raw()
            assert await anext(pieces) == b"one"  # while the server holds the rest back
            gate.set()
            assert [p async for p in pieces] == [b"two"]
        assert (await http.get("/")).content == b"next"
    assert server.connections == 1  # read whole: the connection served the next request


async def test_a_large_answer_read_slowly_arrives_whole() -> None:
    big = bytes(range(256)) * 8192  # 2 MiB: the socket is paused and resumed along the way
    async with (
        RawServer(answering(Answer(response(big)))) as server,
        client(server) as http,
        http.stream("GET", "/") as streamed,
    ):
        await asyncio.sleep(0.1)  # the server writes it all meanwhile
        received = b"".join([piece async for piece in streamed.aiter_raw()])
    assert received == big


async def test_a_body_cut_short_raises_remote_protocol_error() -> None:
    cut = Answer(response(b"0123456789", "200 OK", "content-length: 100", length=False), close=True)
    async with RawServer(answering(cut)) as server, client(server) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/")


async def test_a_server_closing_before_answering_raises_remote_protocol_error() -> None:
    async with RawServer(answering(Answer(close=True))) as server, client(server) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/")


async def test_a_silent_server_raises_read_timeout() -> None:
    async with RawServer(answering(Answer(stall=True))) as server, client(server, read=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/")


async def test_nothing_listening_raises_connect_error() -> None:
    async with httpx.AsyncClient(transport=LeanTransport()) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{free_port()}/")


async def test_garbage_raises_remote_protocol_error() -> None:
    async with RawServer(answering(Answer(b"SMTP ready\r\n\r\n"))) as server, client(server) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/")


async def test_bytes_after_an_answer_retire_its_connection() -> None:
    doubled = Answer(response(b"{}") + response(b"{}"))
    async with RawServer(answering(doubled, Answer(response(b"[]")))) as server, client(server) as http:
        assert (await http.get("/")).content == b"{}"
        assert (await http.get("/")).content == b"[]"
    assert server.connections == 2


async def test_a_head_answer_has_no_body() -> None:
    head = Answer(response(b"", "200 OK", "content-length: 42", length=False))
    async with RawServer(answering(head)) as server, client(server) as http:
        answer = await http.head("/")
    assert (answer.status_code, answer.content, answer.headers["content-length"]) == (200, b"", "42")


async def test_a_streamed_request_body_is_sent_chunked_and_arrives_whole() -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"first "
        yield b"second"

    async with RawServer() as server, client(server) as http:
        await http.post("/", content=parts())
    assert server.requests[0].body == b"first second"


async def test_a_compressed_answer_is_decoded_by_httpx() -> None:
    packed = gzip.compress(b'{"text":"restart nginx"}')
    answer = Answer(response(packed, "200 OK", "content-encoding: gzip"))
    async with RawServer(answering(answer)) as server, client(server) as http:
        assert (await http.get("/")).json() == {"text": "restart nginx"}


def test_plain_http_upstreams_get_the_lean_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(lean_transport_for("http://127.0.0.1:8080/v1"), LeanTransport)
    assert lean_transport_for("https://api.openai.com/v1") is None


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY"])
def test_a_proxy_in_the_environment_keeps_httpx_transport(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "http://proxy.example:3128")
    assert lean_transport_for("http://127.0.0.1:8080/v1") is None

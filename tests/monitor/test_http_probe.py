"""The health-check HTTP client against raw servers on 127.0.0.1 that answer byte for byte."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from mapekd.monitor.http_answer import HEAD_LIMIT
from mapekd.monitor.http_errors import ConnectError, ProtocolError, ReadError
from mapekd.monitor.http_probe import Endpoint, fetch

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Serve = Callable[..., Awaitable[tuple[str, list[bytes]]]]


def answering(*raw: bytes) -> Answer:
    """A server that reads the request head, writes `raw` and closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for part in raw:
            writer.write(part)
            await writer.drain()
        writer.close()

    return handle


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def start(handle: Answer, tls: ssl.SSLContext | None = None) -> tuple[str, list[bytes]]:
        requests: list[bytes] = []

        async def recording(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            requests.append(await reader.readuntil(b"\r\n\r\n"))
            reader.feed_data(requests[-1])  # handed on unread
            await handle(reader, writer)

        server = await asyncio.start_server(recording, "127.0.0.1", 0, ssl=tls)
        servers.append(server)
        scheme = "https" if tls else "http"
        return f"{scheme}://127.0.0.1:{server.sockets[0].getsockname()[1]}", requests

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_the_request_names_host_and_target_and_closes(serve: Serve) -> None:
    url, requests = await serve(answering(b"HTTP/1.1 204 No Content\r\n\r\n"))

    answer = await fetch(
        Endpoint.parse(url + "/health?deep=1"), "GET", {"User-Agent": "probe", "X-Token": "t"}
    )

    assert answer.status == 204 and answer.body is None
    lines = requests[0].decode().split("\r\n")
    assert lines[0] == "GET /health?deep=1 HTTP/1.1"
    port = url.rsplit(":", 1)[1]
    assert f"Host: 127.0.0.1:{port}" in lines and "Connection: close" in lines
    assert "User-Agent: probe" in lines and "User-Agent: mapekd" not in lines and "X-Token: t" in lines


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\nhello world",
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
    ],
    ids=["content-length", "chunked", "until-close", "after-interim-103"],
)
async def test_bodies_are_read_however_they_are_framed(serve: Serve, raw: bytes) -> None:
    url, _ = await serve(answering(raw))

    answer = await fetch(Endpoint.parse(url), "GET", {}, body_limit=1024)

    assert (answer.status, answer.body, answer.truncated) == (200, b"hello world", False)


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + b"x" * 20,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nxxxxxxxx\r\n8\r\nxxxxxxxx\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 20,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40000000\r\n" + b"x" * 20,
    ],
    ids=["content-length", "chunked", "until-close", "one-huge-chunk"],
)
async def test_a_body_is_read_up_to_the_limit_only(serve: Serve, raw: bytes) -> None:
    url, _ = await serve(answering(raw))

    answer = await fetch(Endpoint.parse(url), "GET", {}, body_limit=10)

    assert answer.body == b"x" * 10 and answer.truncated


async def test_head_reads_no_body_even_when_one_is_announced(serve: Serve) -> None:
    url, _ = await serve(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n"))

    answer = await asyncio.wait_for(fetch(Endpoint.parse(url), "HEAD", {}, body_limit=1024), 5)

    assert answer.status == 200 and answer.body is None


async def test_a_compressed_body_and_its_charset_are_decoded(serve: Serve) -> None:
    body = gzip.compress("état: vert".encode("latin-1"))
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
    url, _ = await serve(answering(head + b"Content-Length: %d\r\n\r\n" % len(body), body))

    answer = await fetch(Endpoint.parse(url), "GET", {}, body_limit=1024)

    assert answer.text() == "état: vert"


@pytest.mark.parametrize(
    ("raw", "error", "text"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", ProtocolError, "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"y" * HEAD_LIMIT, ProtocolError, "longer than"),
        (b"HTTP/1.1 200 OK\r\nContent-", ProtocolError, "inside its headers"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * (HEAD_LIMIT + 10),
            ProtocolError,
            "line of the answer longer",
        ),
        (b"", ReadError, "without answering"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", ReadError, "expected"),
    ],
    ids=["not-http", "endless-headers", "cut-in-headers", "endless-chunk-size", "no-answer", "cut-in-body"],
)
async def test_broken_answers_raise_by_kind(
    serve: Serve, raw: bytes, error: type[Exception], text: str
) -> None:
    url, _ = await serve(answering(raw))

    with pytest.raises(error, match=text):
        await fetch(Endpoint.parse(url), "GET", {}, body_limit=1024)


async def test_a_refused_connection_is_a_connect_error(refused_url: str) -> None:
    with pytest.raises(ConnectError):
        await fetch(Endpoint.parse(refused_url), "GET", {})


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by the openssl command line tool."""
    openssl = shutil.which("openssl")
    assert openssl is not None, "the openssl command is needed for the TLS tests"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_is_verified(serve: Serve, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    url, _ = await serve(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), tls=server_tls)
    trusting = ssl.create_default_context(cafile=str(cert))

    answer = await fetch(Endpoint.parse(url), "GET", {}, body_limit=10, tls=trusting)
    assert (answer.status, answer.body) == (200, b"ok")
    with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await fetch(Endpoint.parse(url), "GET", {})  # the system's trust store does not know it


def test_urls_are_split_into_what_goes_on_the_wire() -> None:
    assert Endpoint.parse("https://u:p@example.test/a/b?c=1") == Endpoint(
        "example.test", 443, True, "/a/b?c=1", "example.test"
    )
    assert Endpoint.parse("http://[::1]:8080") == Endpoint("::1", 8080, False, "/", "[::1]:8080")
    with pytest.raises(ValueError, match="not an http"):
        Endpoint.parse("ftp://example.test/")

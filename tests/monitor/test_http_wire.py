"""HttpCheck on the wire, against raw servers on 127.0.0.1 that answer byte for byte: framing,
encodings, broken answers, TLS, and the kept-alive connection of the shared client."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import ssl
import subprocess
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from mapekd.monitor.http import HttpCheck
from mapekd.shared_http import SharedHttp

Handle = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Serve = Callable[..., Awaitable[tuple[str, list[bytes]]]]


def answering(*raw: bytes) -> Handle:
    """A server that reads one request head, writes `raw` and closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for part in raw:
            writer.write(part)
            await writer.drain()
        writer.close()

    return handle


def keeping_alive(raw: bytes) -> Handle:
    """A server that answers every request of a connection with `raw`, until the client closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(raw)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return handle


@pytest.fixture
async def http() -> AsyncIterator[SharedHttp]:
    shared = SharedHttp()
    yield shared
    await shared.aclose()


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start raw servers; each returns its URL and the request heads it received (one entry per
    connection: the first head read on it)."""
    servers: list[asyncio.Server] = []

    async def start(handle: Handle, tls: ssl.SSLContext | None = None) -> tuple[str, list[bytes]]:
        connections: list[bytes] = []

        async def recording(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            connections.append(head)
            reader.feed_data(head)  # handed on unread
            await handle(reader, writer)

        server = await asyncio.start_server(recording, "127.0.0.1", 0, ssl=tls)
        servers.append(server)
        scheme = "https" if tls else "http"
        return f"{scheme}://127.0.0.1:{server.sockets[0].getsockname()[1]}", connections

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_the_request_names_host_and_target_and_the_connection_is_kept(
    serve: Serve, http: SharedHttp
) -> None:
    url, connections = await serve(keeping_alive(b"HTTP/1.1 204 No Content\r\n\r\n"))
    check = HttpCheck("web", url + "/health?deep=1", client=http.checks, headers={"X-Token": SecretStr("t")})

    for _ in range(3):
        [sample] = await check.collect()
        assert sample.ok and sample.fields["status"] == 204

    assert len(connections) == 1  # three requests, one kept-alive connection
    lines = connections[0].decode().split("\r\n")
    assert lines[0] == "GET /health?deep=1 HTTP/1.1"
    port = url.rsplit(":", 1)[1]
    assert f"Host: 127.0.0.1:{port}" in lines and "X-Token: t" in lines and "User-Agent: mapekd" in lines


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
async def test_bodies_are_read_however_they_are_framed(serve: Serve, http: SharedHttp, raw: bytes) -> None:
    url, _ = await serve(answering(raw))

    [sample] = await HttpCheck("web", url, client=http.checks, body_regex="^hello world$").collect()

    assert sample.fields["status"] == 200 and sample.fields["body_match"] is True


async def test_a_compressed_body_and_its_charset_are_decoded(serve: Serve, http: SharedHttp) -> None:
    body = gzip.compress("état: vert".encode("latin-1"))
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
    url, _ = await serve(answering(head + b"Content-Length: %d\r\n\r\n" % len(body), body))

    [sample] = await HttpCheck("web", url, client=http.checks, body_regex="^état: vert$").collect()

    assert sample.ok and sample.fields["body_match"] is True


async def test_a_compression_bomb_is_inflated_up_to_the_cap_only(serve: Serve, http: SharedHttp) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = b"\0" * (1 << 20)
    bomb = b"".join(packer.compress(zeros) for _ in range(512)) + packer.flush()  # 512 MiB inflated
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb)
    url, _ = await serve(answering(head, bomb))

    [sample] = await HttpCheck("web", url, client=http.checks, body_regex="^\0+$", timeout=20).collect()

    assert sample.ok and sample.fields["body_match"] is True


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "RemoteProtocolError"),
        (b"HTTP/1.1 200 OK\r\nContent-", "RemoteProtocolError"),
        (b"", "RemoteProtocolError"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", "RemoteProtocolError"),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnot z", "DecodingError"),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 5\r\n\r\nbrotl", "DecodingError"),
    ],
    ids=["not-http", "cut-in-headers", "no-answer", "cut-in-body", "bad-gzip", "unasked-encoding"],
)
async def test_broken_answers_are_results_named_by_kind(
    serve: Serve, http: SharedHttp, raw: bytes, error: str
) -> None:
    url, _ = await serve(answering(raw))

    [sample] = await HttpCheck("web", url, client=http.checks, body_regex=".").collect()

    assert not sample.ok and (sample.error or "").startswith(error)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by the openssl command line tool."""
    openssl = shutil.which("openssl")
    assert openssl is not None, "the openssl command is needed for the TLS tests"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_is_verified(serve: Serve, http: SharedHttp, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    url, _ = await serve(keeping_alive(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), tls=server_tls)

    [untrusted] = await HttpCheck("web", url, client=http.checks).collect()  # the system's trust store
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(cert))) as trusting:
        [trusted] = await HttpCheck("web", url, client=trusting, body_regex="^ok$").collect()

    assert not untrusted.ok and "CERTIFICATE_VERIFY_FAILED" in (untrusted.error or "")
    assert trusted.ok and trusted.fields["body_match"] is True

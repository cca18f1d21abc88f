"""TcpCheck against real servers on 127.0.0.1: plain, send/expect, and TLS with certificates the
test makes with the openssl CLI (valid for a year, expiring in 5 days, for another name)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from mapekd.config.checks import CheckConfig
from mapekd.config.checks_monit import TcpCheckConfig
from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError
from mapekd.model import Sample
from mapekd.monitor.tcp import TcpCheck

Server = Callable[..., Awaitable[int]]


def make_cert(directory: Path, name: str, *, days: int, dns: str) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for `dns`, valid for `days`; (cert, key) paths."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl CLI makes the test certificates")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", str(days), "-subj", f"/CN={dns}",
         "-addext", f"subjectAltName=DNS:{dns}"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


def make_expired_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost that expired yesterday (`openssl x509 -days -1`)."""
    cert, key, request, extensions = (directory / f"expired.{ext}" for ext in ("crt", "key", "csr", "ext"))
    extensions.write_text("basicConstraints=critical,CA:TRUE\nsubjectAltName=DNS:localhost\n")
    openssl = shutil.which("openssl") or "openssl"
    subprocess.run(
        [openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(request), "-subj", "/CN=localhost"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    subprocess.run(
        [openssl, "x509", "-req", "-in", str(request), "-signkey", str(key), "-out", str(cert),
         "-days", "-1", "-extfile", str(extensions)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    directory = tmp_path_factory.mktemp("certs")
    return {
        "valid": make_cert(directory, "valid", days=365, dns="localhost"),
        "expiring": make_cert(directory, "expiring", days=5, dns="localhost"),
        "other_name": make_cert(directory, "other", days=365, dns="other.example"),
        "expired": make_expired_cert(directory),
    }


async def answer_ping(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A tiny line protocol: a greeting, then PONG to PING; closes after one request."""
    writer.write(b"+OK ready\r\n")
    line = await reader.readline()
    writer.write(b"PONG\r\n" if line.strip() == b"PING" else b"-ERR\r\n")
    await writer.drain()
    writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Server]:
    servers: list[asyncio.Server] = []

    async def start(
        handler: Callable[..., Awaitable[None]] = answer_ping, cert: tuple[Path, Path] | None = None
    ) -> int:
        context = None
        if cert is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*cert)
        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def tcp(port: int, **options: object) -> TcpCheck:
    return TcpCheck(TcpCheckConfig(name="svc", type="tcp", host="127.0.0.1", port=port, **options))


async def collect_one(check: TcpCheck) -> Sample:
    [sample] = await check.collect()
    assert sample.target == "tcp:svc"
    return sample


async def test_a_listening_port_connects(serve: Server) -> None:
    sample = await collect_one(tcp(await serve()))

    assert sample.ok and sample.error is None
    assert 0 <= sample.fields["connect_ms"] <= sample.fields["latency_ms"]
    assert sample.fields["tls_ms"] is None and sample.fields["cert_days_left"] is None


async def test_send_and_expect_the_answer(serve: Server) -> None:
    port = await serve()

    matched = await collect_one(tcp(port, send="PING\r\n", expect=r"^\+OK.*\r\nPONG"))
    non_ascii = await collect_one(tcp(port, send="PING\r\n", expect="PONG|€"))
    unmatched = await collect_one(tcp(port, send="HELLO\r\n", expect=r"PONG"))

    assert matched.ok and matched.fields["expect_match"] is True
    assert non_ascii.ok  # any regex is usable: the answer is read as Latin-1 text
    assert not unmatched.ok and unmatched.fields["expect_match"] is False
    assert unmatched.error is None  # the port answered: what it said is the finding


async def test_reading_the_answer_is_bounded(serve: Server) -> None:
    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                writer.write(b"x" * 65536)
                await writer.drain()
        except (ConnectionError, OSError):
            pass

    sample = await collect_one(tcp(await serve(flood), expect="NEVER", max_read=100_000, timeout=10))

    assert sample.fields["expect_match"] is False and not sample.ok
    assert sample.error is None  # it stopped at max_read, long before the timeout


async def test_a_refused_port_is_a_result() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    sample = await collect_one(tcp(port))

    assert not sample.ok and sample.error is not None and "ConnectionRefusedError" in sample.error
    assert sample.fields["connect_ms"] is None


async def test_a_silent_server_times_out_within_the_check(serve: Server) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    sample = await collect_one(tcp(await serve(silent), expect="hello", timeout=0.3))

    assert not sample.ok and sample.error == "timeout: no complete answer within 0.3s"
    assert sample.fields["connect_ms"] is not None


async def test_tls_with_a_valid_certificate(serve: Server, certs: dict[str, tuple[Path, Path]]) -> None:
    cert, _ = certs["valid"]
    port = await serve(cert=certs["valid"])

    sample = await collect_one(
        tcp(port, tls=True, server_name="localhost", ca_file=str(cert), send="PING\r\n", expect="PONG")
    )

    assert sample.ok and sample.error is None
    assert sample.fields["hostname_ok"] is True and sample.fields["expect_match"] is True
    assert 363 < sample.fields["cert_days_left"] <= 365
    assert sample.fields["tls_ms"] is not None


async def test_a_certificate_expiring_soon(serve: Server, certs: dict[str, tuple[Path, Path]]) -> None:
    cert, _ = certs["expiring"]
    port = await serve(cert=certs["expiring"])
    options = {"tls": True, "server_name": "localhost", "ca_file": str(cert)}

    lenient = await collect_one(tcp(port, **options))
    strict = await collect_one(tcp(port, cert_min_days=14, **options))

    assert 3.9 < lenient.fields["cert_days_left"] <= 5 and lenient.ok
    assert not strict.ok and strict.fields["hostname_ok"] is True


async def test_a_certificate_for_another_name(serve: Server, certs: dict[str, tuple[Path, Path]]) -> None:
    cert, _ = certs["other_name"]
    port = await serve(cert=certs["other_name"])

    sample = await collect_one(tcp(port, tls=True, server_name="localhost", ca_file=str(cert)))

    assert not sample.ok and sample.fields["hostname_ok"] is False
    assert sample.error is not None and sample.error.startswith("certificate: Hostname mismatch")
    assert 363 < sample.fields["cert_days_left"] <= 365  # still known: only the name was wrong


async def test_an_expired_certificate(serve: Server, certs: dict[str, tuple[Path, Path]]) -> None:
    cert, _ = certs["expired"]
    port = await serve(cert=certs["expired"])

    sample = await collect_one(tcp(port, tls=True, server_name="localhost", ca_file=str(cert)))

    assert not sample.ok and sample.error == "certificate: certificate has expired"
    assert sample.fields["cert_days_left"] is None and sample.fields["connect_ms"] is not None


async def test_an_unknown_ca_fails_verification(serve: Server, certs: dict[str, tuple[Path, Path]]) -> None:
    other_ca, _ = certs["expiring"]
    port = await serve(cert=certs["valid"])

    sample = await collect_one(tcp(port, tls=True, server_name="localhost", ca_file=str(other_ca)))

    assert not sample.ok and sample.error is not None and sample.error.startswith("certificate: ")
    assert sample.fields["hostname_ok"] is None and sample.fields["cert_days_left"] is None


def test_config_errors_name_the_key() -> None:
    adapter = TypeAdapter(CheckConfig)
    base = {"type": "tcp", "name": "svc", "host": "127.0.0.1"}

    with pytest.raises(ValidationError, match="port"):
        adapter.validate_python({**base, "port": 70000})
    with pytest.raises(ValidationError, match=r"expect\n.*invalid regular expression"):
        adapter.validate_python({**base, "port": 25, "expect": "("})
    with pytest.raises(ValidationError, match="max_read"):
        adapter.validate_python({**base, "port": 25, "max_read": 10**9})


def test_a_config_error_names_the_key_as_written(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("checks:\n  - name: smtp\n    type: tcp\n    host: 127.0.0.1\n    port: 0\n")

    with pytest.raises(ConfigError) as caught:
        load_settings(config)

    assert caught.value.path == "checks[0].port" and caught.value.line == 5

"""Where the API listens, and bodies too large to read."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import psutil
import pytest

from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError
from tests.api.harness import LLM, Api, bearer


def listeners(port: int) -> list[str]:
    conns = psutil.Process(os.getpid()).net_connections(kind="inet")
    return [c.laddr.ip for c in conns if c.status == psutil.CONN_LISTEN and c.laddr.port == port]


async def test_listens_on_loopback_by_default(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        host, port = api.server.address  # type: ignore[union-attr]
        assert host == "127.0.0.1"
        assert listeners(port) == ["127.0.0.1"]
        assert (await api.client.get("/healthz")).status_code == 200


async def test_listens_where_configured(tmp_path: Path) -> None:
    async with Api(tmp_path, api={"host": "127.0.0.2"}) as api:
        host, port = api.server.address  # type: ignore[union-attr]
        assert listeners(port) == ["127.0.0.2"] and host == "127.0.0.2"


async def test_port_in_use_is_a_config_error_when_the_host_asks_for_it(tmp_path: Path) -> None:
    """`mapekd gateway` has nothing to do without its API: it keeps the strict behaviour."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(ConfigError) as caught:
            async with Api(tmp_path, api={"port": port}, retry_bind=False):
                pass
        assert caught.value.path == "api.port"


async def test_oversized_body_refused_by_content_length(tmp_path: Path) -> None:
    async with Api(tmp_path, api={"max_body_bytes": 1000}) as api:
        body = b'{"messages": [{"role": "user", "content": "' + b"x" * 2000 + b'"}]}'
        response = await api.client.post("/v1/chat/completions", headers=bearer(LLM), content=body)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "body_too_large"


async def test_oversized_chunked_body_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    """A chunked upload (no Content-Length) that passes the limit and never ends: the 413 must
    come while the body is still incomplete; a server reading it whole would never answer."""
    async with Api(tmp_path, api={"max_body_bytes": 1000}) as api:
        host, port = api.server.address  # type: ignore[union-attr]
        reader, writer = await asyncio.open_connection(host, port)
        head = (
            "POST /v1/chat/completions HTTP/1.1\r\n"
            f"host: {host}\r\nauthorization: Bearer {LLM}\r\n"
            "content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        piece = b"x" * 1500
        writer.write(head.encode() + b"%x\r\n%s\r\n" % (len(piece), piece))
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        writer.close()
        assert status_line.split()[1] == b"413"


async def test_bad_json_and_unknown_routes_use_the_error_shape(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        bad = await api.client.post("/v1/chat/completions", headers=bearer(LLM), content=b"{not json")
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
        array = await api.client.post("/v1/chat/completions", headers=bearer(LLM), json=[1])
        assert array.status_code == 400
        missing = await api.client.get("/v1/nothing-here", headers=bearer(LLM))
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
        wrong_method = await api.client.get("/v1/chat/completions", headers=bearer(LLM))
        assert wrong_method.status_code == 405 and "error" in wrong_method.json()


@pytest.mark.parametrize(
    ("api", "message"),
    [
        ("host: 0.0.0.0", "set allow_remote_plain_http: true"),
        ("host: 192.0.2.10", "is not loopback"),
        ("host: api.example.org", "is not loopback"),
        ("port: null", "unix_socket is required"),
    ],
)
def test_where_the_api_may_not_listen_is_a_config_error(tmp_path: Path, api: str, message: str) -> None:
    config = tmp_path / "mapekd.yaml"
    config.write_text(f"api:\n  enabled: true\n  {api}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, {})
    assert caught.value.path == "api" and message in str(caught.value)


@pytest.mark.parametrize(
    "api",
    [
        "host: localhost",
        "host: '::1'",
        "host: 0.0.0.0\n  allow_remote_plain_http: true",
        "port: null\n  unix_socket: /run/x.sock",
    ],
)
def test_where_the_api_may_listen(tmp_path: Path, api: str) -> None:
    config = tmp_path / "mapekd.yaml"
    config.write_text(f"api:\n  enabled: true\n  {api}\n")
    assert load_settings(config, {}).api.enabled

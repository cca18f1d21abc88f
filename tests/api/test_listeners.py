"""Where the API listens when things are in the way: a port held by another socket is retried in
the background (api_bind_failed) and served once free; the unix socket, its mode and owner, its
stale file replaced, and never a regular file or a socket another process serves."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from mapekd.api import listeners
from mapekd.errors import MapekdError
from mapekd.report.live_client import endpoint, fetch
from tests.api.harness import LLM, READ, Api, bearer
from tests.conftest import wait_for


def bind_failures(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    events = [getattr(r, "event", None) for r in caplog.records]
    return [e for e in events if isinstance(e, dict) and e.get("event") == "api_bind_failed"]


def unix_only(path: Path, **more: Any) -> dict[str, Any]:
    return {"port": None, "unix_socket": str(path), **more}


async def test_a_squatted_port_is_retried_and_served_once_free(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listeners, "RETRY_FIRST_S", 0.2)
    caplog.set_level(logging.WARNING, logger="mapekd.api")
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    port = squatter.getsockname()[1]
    async with Api(tmp_path, api={"port": port}) as api:
        assert api.server is not None
        with pytest.raises(MapekdError):
            api.server.address  # noqa: B018  (not bound while the squatter holds the port)
        failures = bind_failures(caplog)
        assert failures and failures[0]["where"] == f"127.0.0.1:{port}"
        squatter.close()
        for _ in range(100):
            await asyncio.sleep(0.1)
            try:
                api.server.address  # noqa: B018
                break
            except MapekdError:
                continue
        assert api.server.address == ("127.0.0.1", port)
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{port}/api/v1/status", headers=bearer(READ))
        assert answer.status_code == 200


async def test_the_unix_socket_serves_with_a_token_and_refuses_without(tmp_path: Path) -> None:
    path = tmp_path / "api.sock"
    async with Api(tmp_path, api=unix_only(path)) as api:
        info = path.stat()
        assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o660
        assert info.st_uid == os.getuid()
        assert (await api.client.get("/api/v1/status", headers=bearer(READ))).status_code == 200
        assert (await api.client.get("/api/v1/status")).status_code == 401
        assert (await api.client.get("/api/v1/status", headers=bearer(LLM))).status_code == 403
        live = await asyncio.to_thread(fetch, endpoint(api.config))  # what `mapekd status` does
        assert live.error is None and live.url == f"unix:{path}" and live.status is not None
    assert not path.exists(), "the socket file outlived the API"


async def test_the_unix_socket_mode_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "api.sock"
    async with Api(tmp_path, api=unix_only(path, unix_socket_mode=0o600)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_stale_socket_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "api.sock"
    with socket.socket(socket.AF_UNIX) as stale:
        stale.bind(str(path))  # bound, never listening: what a killed daemon leaves
    async with Api(tmp_path, api=unix_only(path)) as api:
        assert (await api.client.get("/api/v1/status", headers=bearer(READ))).status_code == 200


async def test_a_regular_file_in_the_way_is_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mapekd.api")
    path = tmp_path / "api.sock"
    path.write_text("precious")
    async with Api(tmp_path, api=unix_only(path)):
        wait_for(lambda: bind_failures(caplog), message="api_bind_failed")
        assert "not a socket" in bind_failures(caplog)[0]["reason"]
    assert path.read_text() == "precious"


async def test_a_socket_another_process_serves_is_not_taken_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mapekd.api")
    path = tmp_path / "api.sock"
    with socket.socket(socket.AF_UNIX) as other:
        other.bind(str(path))
        other.listen()
        inode = path.stat().st_ino
        async with Api(tmp_path, api=unix_only(path)):
            assert bind_failures(caplog)[0]["reason"] == "another process serves this socket"
            assert path.stat().st_ino == inode


async def test_deeply_nested_json_is_a_400_not_a_500(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        for depth in (65, 100_000):
            body = b'{"messages": ' + b"[" * depth + b"]" * depth + b"}"
            answer = await api.client.post("/v1/chat/completions", headers=bearer(LLM), content=body)
            assert answer.status_code == 400, depth
            assert answer.json()["error"]["code"] == "invalid_json"
        inside_strings = {"messages": [{"role": "user", "content": "[" * 5000 + "hello"}]}
        answer = await api.client.post("/v1/chat/completions", headers=bearer(LLM), json=inside_strings)
        assert answer.status_code == 200

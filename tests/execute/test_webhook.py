"""`webhook` actions POST JSON to a real loopback server; secrets only in headers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest

from mapekd.config.actions import WebhookActionConfig
from mapekd.execute.actions.webhook import WebhookAction
from mapekd.execute.base import ActionRequest
from mapekd.shared_http import SharedHttp


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"path": self.path, "auth": self.headers["Authorization"], "body": body})
            self.send_response(500 if self.path == "/fail" else 200)
            self.end_headers()
            if self.path == "/long":
                self.wfile.write(b"a" * 10_000 + "é".encode() * 600 + b"END")

        def log_message(self, *args: object) -> None:
            pass

    srv = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", received
    srv.shutdown()


async def test_posts_the_decision(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, received = server
    config = WebhookActionConfig.model_validate(
        {
            "name": "hook",
            "type": "webhook",
            "url": f"{base}/ok",
            "headers": {"Authorization": "Bearer s3cret"},
        }
    )
    async with httpx.AsyncClient() as http:
        ok = await WebhookAction(config, http=SharedHttp(http)).run(
            ActionRequest(7, "down@p:a", "p:a", {"target": "p:a"})
        )
        failed = await WebhookAction(
            config.model_copy(update={"url": f"{base}/fail"}), http=SharedHttp(http)
        ).run(ActionRequest(7, "down@p:a", "p:a"))
    assert ok.state == "succeeded" and ok.exit_code == 200
    assert received[0]["auth"] == "Bearer s3cret"
    assert received[0]["body"] == {
        "incident": 7,
        "signature": "down@p:a",
        "target": "p:a",
        "action": "hook",
        "params": {"target": "p:a"},
    }
    assert failed.state == "failed" and failed.error == "HTTP 500"
    assert "s3cret" not in repr(config)


async def test_unreachable_webhook_fails_without_raising() -> None:
    config = WebhookActionConfig.model_validate(
        {"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/x"}
    )
    async with httpx.AsyncClient() as http:
        result = await WebhookAction(config, http=SharedHttp(http)).run(ActionRequest(1, "s", "t"))
    assert result.state == "failed" and "ConnectError" in (result.error or "")


async def test_the_output_tail_is_the_end_of_the_answer(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = server
    config = WebhookActionConfig.model_validate({"name": "hook", "type": "webhook", "url": f"{base}/long"})
    async with httpx.AsyncClient() as http:
        result = await WebhookAction(config, http=SharedHttp(http)).run(ActionRequest(1, "s", "t"))
    assert result.state == "succeeded"
    assert result.output_tail == "é" * 497 + "END"

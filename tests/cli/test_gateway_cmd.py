"""`mapekd gateway`: the API and the provider layer as their own process, stopped by SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from tests.conftest import free_port, wait_for

TOKEN = "gateway-test-token-0123456789"


def test_gateway_serves_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    config = {
        "llm": {"providers": [{"name": "canned", "type": "offline", "default_answer": "canned answer"}]},
        "api": {"port": port, "tokens": [{"name": "apps", "token": TOKEN, "rights": ["llm", "read"]}]},
        "knowledge": {"path": str(tmp_path / "kb.db")},
    }
    (tmp_path / "mapekd.yaml").write_text(yaml.safe_dump(config))
    log = (tmp_path / "gateway.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapekd", "gateway", "--config", str(tmp_path / "mapekd.yaml")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return proc.poll() is not None  # exited: fail below with its log

        wait_for(healthy, message="gateway listening")
        assert proc.poll() is None, (tmp_path / "gateway.log").read_text()
        headers = {"authorization": f"Bearer {TOKEN}"}
        body = {"messages": [{"role": "user", "content": "anything"}]}
        answer = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=10)
        assert answer.json()["choices"][0]["message"]["content"] == "canned answer"
        status = httpx.get(f"{url}/api/v1/status", headers=headers, timeout=10).json()
        assert status["loop"] == {"mode": "gateway", "running": False}
        assert httpx.get(f"{url}/readyz", headers=headers, timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert TOKEN not in (tmp_path / "gateway.log").read_text(), "a secret reached the log"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()

"""A reload while an LLM decision is under way: the remedy it chose was removed by the new
configuration, so it must not run; the decision is dropped and recorded as refused. A real
`mapekd run`, a real process it watches, SIGHUP, and a slow OpenAI-compatible model on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import wait_for
from tests.e2e.harness import Daemon

ANSWER_AFTER_S = 3.0


class SlowModel(BaseHTTPRequestHandler):
    """Answers every chat completion with restart_a, after ANSWER_AFTER_S."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        time.sleep(ANSWER_AFTER_S)
        content = json.dumps(
            {"action": "restart_a", "params": {}, "risk": "low", "confidence": 0.9, "rationale": "slow"}
        )
        body = json.dumps(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": "gpt-4o-mini",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def slow_model() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowModel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def marker(tmp: Path, name: str) -> dict[str, Any]:
    code = f"open({str(tmp / ('ran-' + name))!r}, 'a').write('x')"
    return {"name": name, "type": "command", "argv": [sys.executable, "-c", code], "settle": "300ms"}


def config(tmp: Path, url: str, remedies: list[str]) -> dict[str, Any]:
    return {
        "daemon": {"interval": "1s", "shutdown_grace": "5s"},
        "checks": [{"name": "svc", "type": "process", "pidfile": str(tmp / "svc.pid")}],
        "rules": [{"name": "svc_down", "check": "svc", "when": "alive == false", "remedies": remedies}],
        "actions": [marker(tmp, name) for name in remedies],
        "policy": {"cooldown": "0s"},
        "plan": {"llm": "always", "analyze": False},
        "knowledge": {"path": str(tmp / "kb.db")},
        "llm": {
            "providers": [{"name": "slow", "type": "openai_compat", "base_url": url, "model": "gpt-4o-mini"}],
            "plan_deadline": "20s",
        },
    }


@pytest.mark.slow
def test_a_remedy_removed_by_a_reload_mid_decision_does_not_run(tmp_path: Path) -> None:
    service = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    (tmp_path / "svc.pid").write_text(str(service.pid))
    with slow_model() as url:
        daemon = Daemon(tmp_path, config(tmp_path, url, ["restart_a", "restart_b"]))
        daemon.start()
        try:
            service.kill()
            service.wait()
            wait_for(lambda: daemon.events("incident_opened"), message="the crash seen")
            # The model is thinking; the operator removes restart_a and reloads.
            daemon.config_path.write_text(yaml.safe_dump(config(tmp_path, url, ["restart_b"])))
            assert daemon.proc is not None
            os.kill(daemon.proc.pid, signal.SIGHUP)
            wait_for(lambda: daemon.events("reloaded"), message="the reload")
            refused = wait_for(
                lambda: daemon.events("decision", verdict="refused"), timeout=30, message="the stale decision"
            )
            wait_for(lambda: (tmp_path / "ran-restart_b").exists(), timeout=30, message="the new remedy")
        finally:
            assert daemon.stop() == 0
    assert not (tmp_path / "ran-restart_a").exists(), "a remedy the reload removed ran"
    assert refused[0]["action"] == "restart_a" and "no longer configured" in refused[0]["reason"]

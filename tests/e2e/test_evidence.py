"""A real `mapekd run` watches a process the test starts, which logs to a file; the test breaks
it, and the knowledge base then holds the incident's evidence, with the service's last log line
(redacted), and a cause fingerprint; `mapekd kb show` lists them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import wait_for
from tests.e2e.harness import Daemon, kill

SIGNATURE = "app_down@process:app"
APP = """
import os, sys, time
log_path, pidfile = sys.argv[1], sys.argv[2]
with open(pidfile, "w") as f:
    f.write(str(os.getpid()))
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
with open(log_path, "a", buffering=1) as log:
    log.write(now + " app starting\\n")
    log.write(now + " connecting with password=canary-app-secret\\n")
    log.write(now + " FATAL could not connect: connection refused 127.0.0.1:5432\\n")
    time.sleep(300)
"""


def app_argv(tmp: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        APP,
        str(tmp / "app.log"),
        str(tmp / "app.pid"),
        f"mapekd-e2e-app-{tmp.name}",
    ]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[list[str]]:
    argv = app_argv(tmp_path)
    yield argv
    for proc in psutil.process_iter(["cmdline"]):
        if argv[-1] in (proc.info["cmdline"] or []):
            proc.kill()


def config(tmp: Path, argv: list[str]) -> dict[str, Any]:
    return {
        "daemon": {"interval": "1s", "shutdown_grace": "10s"},
        "checks": [
            {
                "name": "app",
                "type": "process",
                "pidfile": str(tmp / "app.pid"),
                "logs": [str(tmp / "app.log")],
            }
        ],
        "rules": [
            {
                "name": "app_down",
                "check": "app",
                "when": "alive == false",
                "severity": "critical",
                "remedies": ["start_app"],
            }
        ],
        "actions": [
            {
                "name": "start_app",
                "type": "command",
                "argv": argv,
                "detach": True,
                "detach_grace": "300ms",
                "settle": "1s",
            }
        ],
        "policy": {"cooldown": "2s", "max_actions": 3, "window": "5m"},
        "evidence": {"deadline": "5s"},
        "knowledge": {"path": str(tmp / "kb.db")},
        "llm": {"embedded": False},
    }


def test_a_broken_service_leaves_its_log_line_and_a_fingerprint(
    tmp_path: Path, app: list[str], daemons: list[Daemon]
) -> None:
    subprocess.Popen(app, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = wait_for(
        lambda: (tmp_path / "app.pid").exists() and "FATAL" in (tmp_path / "app.log").read_text()
    )
    assert first
    pid = int((tmp_path / "app.pid").read_text())
    daemon = Daemon(tmp_path, config(tmp_path, app))
    daemons.append(daemon)
    daemon.start()

    kill(pid)
    report = wait_for(
        lambda: (i := daemon.incident(SIGNATURE)) and i["cause"]["fingerprint"] and i,
        message="the incident's evidence and fingerprint stored",
    )
    texts = [e["text"] for e in report["cause"]["evidence"]]
    assert any("FATAL could not connect: connection refused 127.0.0.1:5432" in t for t in texts), texts
    assert "canary-app-secret" not in str(report)
    assert any("connection refused <ip>:<port>" in t for t in report["cause"]["templates"])
    assert daemon.stop() == 0

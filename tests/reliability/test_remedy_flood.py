"""One remedy, a flood of incidents: 50 firing alerts with distinct fingerprints (each a target of
its own) pushed to a real `mapekd run` through its API. Policy counts the remedy's effect, not
the targets: the command runs once, then the effect's cooldown holds the rest back."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import wait_for
from tests.e2e.harness import Daemon

TOKEN = "alerts-token-00000000004"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alert(i: int) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": "DiskFull", "instance": f"web{i}"},
        "annotations": {},
        "startsAt": "2026-12-06T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": f"{i:016x}",
    }


def config(tmp: Path, port: int) -> dict[str, Any]:
    ran = tmp / "ran"
    return {
        "daemon": {"interval": "1s", "shutdown_grace": "5s"},
        "checks": [{"name": "am", "type": "alertmanager"}],
        "rules": [{"name": "disk_full", "check": "am", "when": "firing == true", "remedies": ["cleanup"]}],
        "actions": [
            {
                "name": "cleanup",
                "type": "command",
                "argv": [sys.executable, "-c", f"open({str(ran)!r}, 'a').write('x\\n')"],
                "settle": "200ms",
            }
        ],
        "policy": {"cooldown": "60s", "max_actions": 3, "window": "10m"},
        "plan": {"llm": "never"},
        "knowledge": {"path": str(tmp / "kb.db")},
        "llm": {"embedded": False},
        "api": {
            "enabled": True,
            "port": port,
            "tokens": [{"name": "alertmanager", "token": TOKEN, "rights": ["alerts"]}],
        },
    }


def test_fifty_alerts_one_remedy_one_execution(tmp_path: Path) -> None:
    port = free_port()
    daemon = Daemon(tmp_path, config(tmp_path, port))
    daemon.start()
    try:
        payload = {
            "version": "4",
            "groupKey": "{}",
            "status": "firing",
            "receiver": "mapekd",
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "",
            "alerts": [alert(i) for i in range(50)],
        }
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/alerts",
            json=payload,
            headers={"authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert response.status_code == 202
        wait_for(lambda: (tmp_path / "ran").exists(), message="the remedy ran")
        time.sleep(4)  # four more cycles: every one of the 50 incidents is looked at again
        runs = (tmp_path / "ran").read_text().count("x")
        opened = len(daemon.events("incident_opened"))
    finally:
        assert daemon.stop() == 0
    assert opened == 50
    assert runs == 1, f"{runs} executions of one remedy for 50 alerts"

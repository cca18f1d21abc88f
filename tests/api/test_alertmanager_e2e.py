"""A real Alertmanager (Debian's prometheus-alertmanager) posts its webhook to a real `mapekd run`
with the API enabled: the alert opens an incident, a whitelisted command heals, and when the alert
is resolved in Alertmanager the incident resolves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
READ_TOKEN = "ops-read-token-0123456789"
ALERT_TOKEN = "alertmanager-token-0123456789"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        ALERTMANAGER is None and not os.environ.get("CI"),
        reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)",
    ),
]


class Alertmanager:
    def __init__(self, tmp: Path, webhook: str, token_file: Path) -> None:
        assert ALERTMANAGER is not None, "prometheus-alertmanager is required in CI"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "route": {
                "receiver": "mapekd",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "mapekd",
                    "webhook_configs": [
                        {
                            "url": webhook,
                            "send_resolved": True,
                            "http_config": {
                                "authorization": {"type": "Bearer", "credentials_file": str(token_file)}
                            },
                        }
                    ],
                }
            ],
        }
        (tmp / "alertmanager.yml").write_text(yaml.safe_dump(config))
        self.argv = [
            ALERTMANAGER,
            f"--config.file={tmp / 'alertmanager.yml'}",
            f"--storage.path={tmp / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
        ]
        self.log = tmp / "alertmanager.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)
        wait_for(self.ready, message="alertmanager ready")

    def ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            pytest.fail(f"alertmanager exited:\n{self.log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def post(self, labels: dict[str, str], *, resolved: bool) -> None:
        now = datetime.now(UTC)
        alert: dict[str, Any] = {
            "labels": labels,
            "annotations": {"summary": "disk almost full on web1"},
            "startsAt": (now - timedelta(minutes=1)).isoformat(),
        }
        if resolved:
            alert["endsAt"] = (now - timedelta(seconds=1)).isoformat()
        response = httpx.post(f"{self.url}/api/v2/alerts", json=[alert], timeout=5.0)
        assert response.status_code == 200, response.text

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def alertmanagers() -> Iterator[list[Alertmanager]]:
    started: list[Alertmanager] = []
    yield started
    for am in started:
        am.stop()


def daemon_config(tmp: Path, api_port: int, token_file: Path) -> dict[str, Any]:
    write = "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])"
    return {
        "daemon": {"interval": "1s", "shutdown_grace": "10s"},
        "api": {
            "enabled": True,
            "port": api_port,
            "tokens": [
                {"name": "ops", "token": READ_TOKEN, "rights": ["read"]},
                {"name": "alertmanager", "token_file": str(token_file), "rights": ["alerts"]},
            ],
        },
        "checks": [{"name": "central", "type": "alertmanager"}],
        "rules": [
            {
                "name": "disk_alert",
                "check": "central",
                "when": "firing == true and label_severity == 'critical'",
                "severity": "critical",
                "remedies": ["clean_disk"],
            }
        ],
        "actions": [
            {
                "name": "clean_disk",
                "type": "command",
                "argv": [sys.executable, "-c", write, str(tmp / "healed"), "{target}"],
                "settle": "500ms",
            }
        ],
        "policy": {"cooldown": "30s", "max_actions": 3, "window": "5m"},
        "knowledge": {"path": str(tmp / "kb.db")},
    }


def test_alert_from_alertmanager_opens_heals_and_resolves(
    tmp_path: Path, daemons: list[Daemon], alertmanagers: list[Alertmanager]
) -> None:
    token_file = tmp_path / "alertmanager.token"
    token_file.write_text(ALERT_TOKEN + "\n")
    token_file.chmod(0o600)
    api_port = free_port()
    daemon = Daemon(tmp_path, daemon_config(tmp_path, api_port, token_file))
    daemons.append(daemon)
    daemon.start()
    am = Alertmanager(tmp_path, f"http://127.0.0.1:{api_port}/api/v1/alerts", token_file)
    alertmanagers.append(am)
    am.start()
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{api_port}", headers={"authorization": f"Bearer {READ_TOKEN}"}
    )

    def incidents() -> list[dict[str, Any]]:
        return [i for i in api.get("/api/v1/incidents").json()["incidents"] if i["rule"] == "disk_alert"]

    assert api.get("/readyz").json() == {
        "ready": True,
        "checks": {"config": True, "gateway": True, "database": True, "loop": True},
    }
    status = api.get("/api/v1/status").json()
    assert status["loop"]["mode"] == "daemon"
    assert [c["name"] for c in status["loop"]["checks"]] == ["central"]

    labels = {"alertname": "DiskFull", "instance": "web1", "severity": "critical"}
    am.post(labels, resolved=False)
    (incident,) = wait_for(incidents, message="incident opened from the alert")
    assert incident["target"].startswith("alert:DiskFull/")
    healed = wait_for(lambda: (tmp_path / "healed").exists() and (tmp_path / "healed").read_text())
    assert healed == incident["target"]
    assert daemon.events("check_event", check="central"), "the push kicked a cycle"

    am.post(labels, resolved=True)
    wait_for(lambda: incidents()[0]["status"] == "resolved", message="incident resolved with the alert")
    timeline = api.get(f"/api/v1/incidents/{incident['id']}").json()["timeline"]
    kinds = [e["kind"] for e in timeline]
    assert kinds[:3] == ["symptom", "decision", "execution"]
    execution = next(e for e in timeline if e["kind"] == "execution")
    assert execution["action"] == "clean_disk" and execution["state"] == "succeeded"
    assert len(incidents()) == 1, "repeated notifications did not open more incidents"
    api.close()
    assert daemon.stop() == 0

"""A flood of alerts through the real API of a real `mapekd run`: the inbox stays bounded, the
oldest alerts are evicted and counted, an expired alert opens nothing, and a real alert that
comes after the flood is still received and healed."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon

ALERT_TOKEN = "alertmanager-token-0123456789"
READ_TOKEN = "ops-read-token-0123456789"
MAX_ALERTS = 500
FLOOD = 1000
ANNOTATION = "junk " * 150  # 750 characters: cut to 256 when kept

pytestmark = pytest.mark.slow


def config(tmp: Path, api_port: int) -> dict[str, Any]:
    write = "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])"
    return {
        "daemon": {"interval": "1s", "shutdown_grace": "10s"},
        "api": {
            "enabled": True,
            "port": api_port,
            "max_body_bytes": 4 * 1024 * 1024,  # a flood of fat alerts in one push
            "tokens": [
                {"name": "alertmanager", "token": ALERT_TOKEN, "rights": ["alerts"]},
                {"name": "ops", "token": READ_TOKEN, "rights": ["read"]},
            ],
        },
        "checks": [{"name": "central", "type": "alertmanager", "max_alerts": MAX_ALERTS}],
        "rules": [
            {
                "name": "critical_alert",
                "check": "central",
                "when": "firing == true and label_severity == 'critical'",
                "severity": "critical",
                "remedies": ["heal"],
            }
        ],
        "actions": [
            {
                "name": "heal",
                "type": "command",
                "argv": [sys.executable, "-c", write, str(tmp / "healed"), "{target}"],
                "settle": "500ms",
            }
        ],
        # No analysis by a local model: its weights (~200 MiB mapped) would hide the inbox's cost.
        "plan": {"llm": "never"},
        "policy": {"cooldown": "30s", "max_actions": 3, "window": "5m"},
        "knowledge": {"path": str(tmp / "kb.db")},
    }


def alert(name: str, fingerprint: str, severity: str, ends_at: datetime | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "status": "firing",
        "labels": {"alertname": name, "severity": severity, "instance": f"host-{fingerprint}"},
        "annotations": {"summary": ANNOTATION, "description": ANNOTATION},
        "startsAt": (now - timedelta(minutes=5)).isoformat(),
        "endsAt": ends_at.isoformat() if ends_at else "0001-01-01T00:00:00Z",
        "fingerprint": fingerprint,
    }


def seen_targets(api_port: int) -> int:
    """How many targets the daemon's last cycles sampled: the check's own and the alerts'."""
    status = httpx.get(
        f"http://127.0.0.1:{api_port}/api/v1/status",
        headers={"authorization": f"Bearer {READ_TOKEN}"},
        timeout=10.0,
    ).json()
    (central,) = status["loop"]["checks"]
    return int(central["targets"])


def push(client: httpx.Client, alerts: list[dict[str, Any]]) -> None:
    payload = {"version": "4", "status": "firing", "receiver": "mapekd", "alerts": alerts}
    response = client.post("/api/v1/alerts", json=payload)
    assert response.status_code == 202, response.text


def test_a_flood_is_bounded_evicted_with_a_count_and_a_later_alert_still_heals(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    api_port = free_port()
    daemon = Daemon(tmp_path, config(tmp_path, api_port))
    daemons.append(daemon)
    daemon.start()
    assert daemon.proc is not None
    rss_before = psutil.Process(daemon.proc.pid).memory_info().rss
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{api_port}",
        headers={"authorization": f"Bearer {ALERT_TOKEN}"},
        timeout=30.0,
    )
    # Critical, but its endsAt passed: expired on arrival, it must open nothing.
    push(client, [alert("Stale", "5a1e", "critical", datetime.now(UTC) - timedelta(minutes=1))])
    wait_for(lambda: seen_targets(api_port) == 2, message="a cycle sampled the expired alert")
    push(client, [alert("Junk", f"{i:08x}", "info") for i in range(FLOOD)])

    # The expired alert goes first, then the oldest junk: 1 + 1001 - 500 - 1 evictions.
    evicted = wait_for(lambda: daemon.events("alerts_evicted", check="central"), message="eviction log")
    assert evicted[0]["evicted_total"] == FLOOD + 1 - MAX_ALERTS

    push(client, [alert("DiskFull", "d15cf011", "critical")])
    healed = wait_for(
        lambda: (tmp_path / "healed").exists() and (tmp_path / "healed").read_text(),
        timeout=30,
        message="the alert after the flood healed",
    )
    assert healed == "alert:DiskFull/d15cf011"
    time.sleep(2)  # a few more cycles over the full inbox
    signatures = {row["signature"] for row in daemon.kb("incidents", "--since", "1h")}
    assert signatures == {"critical_alert@alert:DiskFull/d15cf011"}, "the expired alert opened nothing"
    growth = psutil.Process(daemon.proc.pid).memory_info().rss - rss_before
    assert growth < 64 * 1024 * 1024, f"RSS grew by {growth / 2**20:.0f} MiB"
    client.close()
    assert daemon.stop() == 0

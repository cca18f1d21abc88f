"""/api/v1/alerts: Alertmanager's webhook payload into the loop's alertmanager checks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.api.harness import ALERTS, READ, Api, FakeLoop, bearer

PAYLOAD: dict[str, Any] = {
    "version": "4",
    "groupKey": '{}:{alertname="DiskFull"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "mapekd",
    "groupLabels": {"alertname": "DiskFull"},
    "commonLabels": {"alertname": "DiskFull"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "DiskFull", "instance": "web1"},
            "annotations": {"summary": "disk full"},
            "startsAt": "2024-05-01T10:00:00.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus/graph",
            "fingerprint": "5b8f0a2e9c1d3f47",
        }
    ],
}


async def test_payload_reaches_the_loop(tmp_path: Path) -> None:
    loop = FakeLoop(time.time())
    async with Api(tmp_path, loop=loop) as api:
        response = await api.client.post("/api/v1/alerts", headers=bearer(ALERTS), json=PAYLOAD)
        assert response.status_code == 202 and response.json() == {"received": 1, "checks": 1}
        (alert,) = loop.pushed
        assert alert.firing and alert.target == "alert:DiskFull/5b8f0a2e9c1d3f47"
        assert alert.started_at is not None and abs(alert.started_at - 1714557600.123) < 0.01


async def test_bad_payloads_and_rights(tmp_path: Path) -> None:
    async with Api(tmp_path, loop=FakeLoop(time.time())) as api:
        old = await api.client.post(
            "/api/v1/alerts", headers=bearer(ALERTS), json={**PAYLOAD, "version": "3"}
        )
        assert old.status_code == 400 and old.json()["error"]["param"] == "version"
        reader = await api.client.post("/api/v1/alerts", headers=bearer(READ), json=PAYLOAD)
        assert reader.status_code == 403


async def test_gateway_mode_has_no_loop(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        response = await api.client.post("/api/v1/alerts", headers=bearer(ALERTS), json=PAYLOAD)
        assert response.status_code == 404 and response.json()["error"]["code"] == "no_loop"

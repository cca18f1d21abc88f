"""/readyz, /metrics, /api/v1/status and the incidents with their timelines."""

from __future__ import annotations

import time
from pathlib import Path

from mapekd.model import Symptom
from tests.api.harness import APPROVE, LLM, READ, Api, FakeLoop, bearer, llm_settings


async def test_readyz_follows_the_loop(tmp_path: Path) -> None:
    async with Api(tmp_path, loop=FakeLoop(time.time())) as api:
        ready = await api.client.get("/readyz", headers=bearer(READ))
        assert ready.status_code == 200
        assert ready.json() == {
            "ready": True,
            "checks": {"config": True, "gateway": True, "database": True, "loop": True},
        }
    async with Api(tmp_path, loop=FakeLoop(time.time() - 60, interval=5)) as api:
        stale = await api.client.get("/readyz", headers=bearer(READ))
        assert stale.status_code == 503 and stale.json()["checks"]["loop"] is False
    async with Api(tmp_path, loop=FakeLoop(None)) as api:
        assert (await api.client.get("/readyz", headers=bearer(READ))).status_code == 503


async def test_readyz_without_a_loop_and_with_a_locked_database(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        ok = await api.client.get("/readyz", headers=bearer(READ))
        assert ok.status_code == 200 and "loop" not in ok.json()["checks"]
        other = api.store.conn.__class__(str(api.db))  # another writer holds the lock
        other.execute("BEGIN IMMEDIATE")
        try:
            locked = await api.client.get("/readyz", headers=bearer(READ))
            assert locked.status_code == 503 and locked.json()["checks"]["database"] is False
        finally:
            other.rollback()
            other.close()


async def test_metrics_exposition(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        await api.client.post(
            "/api/v1/llm/generate", headers=bearer(LLM), json={"prompt": "hello", "use_cache": False}
        )
        response = await api.client.get("/metrics", headers=bearer(READ))
        assert response.headers["content-type"].startswith("text/plain")
        assert 'llm_provider_requests_total{kind="chat",provider="canned"} 1.0' in response.text


async def test_status_has_loop_incidents_and_providers(tmp_path: Path) -> None:
    offline = llm_settings(tmp_path, mode="offline")  # offline answers are cached only in this mode
    async with Api(tmp_path, loop=FakeLoop(time.time()), llm=offline) as api:
        api.store.open_incident(Symptom("web_down", "process:web", "critical", "web is down", {}))
        for _ in range(2):
            await api.client.post("/api/v1/llm/generate", headers=bearer(LLM), json={"prompt": "hello"})
        status = (await api.client.get("/api/v1/status", headers=bearer(READ))).json()
        assert status["loop"]["mode"] == "daemon" and status["loop"]["checks"][0]["name"] == "host"
        assert [i["signature"] for i in status["open_incidents"]] == ["web_down@process:web"]
        canned = status["providers"]["canned"]
        assert canned["status"] == "available" and canned["breaker"]["state"] == "closed"
        assert canned["total_requests"] == 1 and canned["success_rate"] == 1.0
        assert canned["avg_latency_ms"] is not None
        assert status["cache"]["size"] == 1 and status["cache"]["hit_rate"] == 0.5
        assert set(status) >= {"rate_limits", "budget", "mode", "strategy"}
        llm = (await api.client.get("/api/v1/llm/status", headers=bearer(READ))).json()
        assert llm["providers"]["canned"]["total_requests"] == 1


async def test_incidents_and_timeline(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        symptom = Symptom("disk_full", "disk:/var", "warning", "disk /var is 97% full", {"used": 97})
        incident = api.store.open_incident(symptom)
        api.store.add_symptom(incident, symptom)
        listed = (await api.client.get("/api/v1/incidents", headers=bearer(READ))).json()["incidents"]
        assert [i["id"] for i in listed] == [incident]
        one = (await api.client.get(f"/api/v1/incidents/{incident}", headers=bearer(READ))).json()
        assert one["signature"] == "disk_full@disk:/var"
        assert [e["kind"] for e in one["timeline"]] == ["symptom"]
        assert one["timeline"][0]["fields"] == {"used": 97}
        missing = await api.client.get("/api/v1/incidents/999", headers=bearer(READ))
        assert missing.status_code == 404
        bad = await api.client.get("/api/v1/incidents?limit=0", headers=bearer(READ))
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "limit"


async def test_a_models_raw_answer_is_shown_only_to_callers_that_may_approve(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        symptom = Symptom("web_down", "process:web", "critical", "down", {})
        incident = api.store.open_incident(symptom)
        raw = '{"action": "restart", "rationale": "the password is hunter2"}'
        api.store.record_decision(
            {"incident_id": incident, "ts": 1.0, "verdict": "no_action", "action": None}
            | {"target": "process:web", "source": "llm", "proposal_raw": raw}
        )
        url = f"/api/v1/incidents/{incident}"
        reader = (await api.client.get(url, headers=bearer(READ))).json()["timeline"]
        approver = (await api.client.get(url, headers=bearer(APPROVE))).json()["timeline"]
    [decision] = [e for e in reader if e["kind"] == "decision"]
    assert "proposal_raw" not in decision and "hunter2" not in str(reader)
    assert [e["proposal_raw"] for e in approver if e["kind"] == "decision"] == [raw]

"""The API's incident record serves the incident's cause and evidence to `read` tokens, redacted
(the collector redacts before anything is stored: a secret a log line held is not served)."""

from __future__ import annotations

from pathlib import Path

from mapekd.config.evidence import EvidenceConfig
from mapekd.credentials import Scrubber
from mapekd.evidence.base import EvidenceItem
from mapekd.evidence.collect import bound
from mapekd.evidence.fingerprint import fingerprint
from mapekd.model import Symptom
from tests.api.harness import READ, Api, bearer


async def test_a_read_token_gets_the_redacted_evidence_and_the_fingerprint(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        symptom = Symptom("web_down", "process:web", "critical", "down", {})
        incident = api.store.open_incident(symptom)
        read = [
            EvidenceItem("log", "/var/log/web.log", "connecting with password=hunter2-canary"),
            EvidenceItem("log", "/var/log/web.log", "FATAL connection refused"),
        ]
        items = bound(read, EvidenceConfig(), Scrubber())
        found, templates = fingerprint(symptom.signature, items)
        assert found is not None
        api.store.add_evidence(incident, items, templates, found.value, found.templates)
        one = (await api.client.get(f"/api/v1/incidents/{incident}", headers=bearer(READ))).json()
        missing = (await api.client.get(f"/api/v1/incidents/{incident}")).status_code
    assert one["cause"]["fingerprint"] == found.value
    assert one["cause"]["templates"] == ["FATAL connection refused"]
    assert [e["text"] for e in one["cause"]["evidence"]] == [
        "connecting with password=[REDACTED]",
        "FATAL connection refused",
    ]
    assert "hunter2-canary" not in str(one) and missing == 401

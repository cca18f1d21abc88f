"""`mapekd kb show ID` lists the incident's evidence and its cause fingerprint's templates."""

from __future__ import annotations

import json
from pathlib import Path

from mapekd.evidence.base import EvidenceItem
from mapekd.evidence.fingerprint import fingerprint
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from tests.cli.conftest import Run

LINES = [
    EvidenceItem("log", "/var/log/web.log", "12:00:01 served GET / in 3 ms", 1_760_000_000.0),
    EvidenceItem(
        "log", "/var/log/web.log", "12:00:02 ERROR connection refused to 10.0.0.5:5432", 1_760_000_001.0
    ),
    EvidenceItem("exit", "process:web", "exited with status 1 (pid 4242)", 1_760_000_002.0),
]


def base(path: Path, *, with_evidence: bool) -> int:
    store = SqliteStore(path)
    symptom = Symptom("web_down", "process:web", "critical", "web is down", {}, ts=1_760_000_000.0)
    incident = store.open_incident(symptom)
    store.add_symptom(incident, symptom)
    if with_evidence:
        found, templates = fingerprint(symptom.signature, LINES)
        assert found is not None
        store.add_evidence(incident, LINES, templates, found.value, found.templates)
    store.close()
    return incident


def test_show_lists_the_evidence_and_the_fingerprints_templates(tmp_path: Path, run: Run) -> None:
    incident = base(tmp_path / "kb.db", with_evidence=True)
    code, out, _ = run("kb", "show", str(incident), "--db", str(tmp_path / "kb.db"), "--json")
    cause = json.loads(out)["cause"]
    assert code == 0 and len(cause["fingerprint"]) == 16
    assert cause["templates"] == [
        "exited with status 1 (pid <num>)",
        "<time> ERROR connection refused to <ip>:<port>",
    ]
    assert [(e["kind"], e["text"]) for e in cause["evidence"]] == [(i.kind, i.text) for i in LINES]
    code, out, _ = run("kb", "show", str(incident), "--db", str(tmp_path / "kb.db"))
    assert code == 0 and f"cause {cause['fingerprint']}" in out
    assert "<time> ERROR connection refused to <ip>:<port>" in out
    assert "ERROR connection refused to 10.0.0.5:5432" in out and "3 item(s)" in out


def test_show_says_when_no_evidence_was_gathered(tmp_path: Path, run: Run) -> None:
    incident = base(tmp_path / "kb.db", with_evidence=False)
    code, out, _ = run("kb", "show", str(incident), "--db", str(tmp_path / "kb.db"))
    assert code == 0 and "no evidence gathered" in out
    code, out, _ = run("kb", "show", str(incident), "--db", str(tmp_path / "kb.db"), "--json")
    assert json.loads(out)["cause"] == {"fingerprint": None, "templates": [], "evidence": []}

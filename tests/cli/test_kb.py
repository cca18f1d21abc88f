"""`mapekd kb ...` over a real knowledge base: text and JSON, the counter, clear errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mapekd.cli.main import main
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "kb.db"
    store = SqliteStore(path)
    now = time.time() - 10  # the outcome is stamped with the real time, after all of these
    symptom = Symptom("down", "process:web", "critical", "web is down", {"alive": False}, ts=now)
    incident = store.open_incident(symptom)
    store.add_symptom(incident, symptom)
    decision = store.record_decision(
        {
            "incident_id": incident,
            "ts": now + 0.1,
            "verdict": "execute",
            "action": "restart",
            "target": "process:web",
            "params": {"target": "process:web"},
            "candidates": ["restart", "kill"],
            "source": "rule",
        }
    )
    execution = store.start_execution(
        {
            "decision_id": decision,
            "incident_id": incident,
            "action": "restart",
            "target": "process:web",
            "started_at": now + 0.2,
        }
    )
    store.finish_execution(
        execution, {"state": "succeeded", "exit_code": 0, "finished_at": now + 0.3, "duration_ms": 100.0}
    )
    store.record_outcome(execution, incident, "resolved", "rule no longer holds")
    store.resolve_incident(incident, now + 2)
    store.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_incidents_json_and_text(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kb", "incidents", "--db", str(db), "--json")
    rows = json.loads(out)
    assert code == 0 and [(r["signature"], r["status"], r["executions"]) for r in rows] == [
        ("down@process:web", "resolved", 1)
    ]
    code, out, _ = run(capsys, "kb", "incidents", "--db", str(db), "--since", "1h")
    assert code == 0 and "down@process:web" in out and "resolved" in out.splitlines()[1]
    _, out, _ = run(capsys, "kb", "incidents", "--db", str(db), "--since", "1h", "--json")
    assert json.loads(out)
    code, _, err = run(capsys, "kb", "incidents", "--db", str(db), "--since", "yesterday")
    assert code == 2 and "--since" in err


def test_show_timeline_and_counter(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kb", "show", "1", "--db", str(db), "--json")
    report = json.loads(out)
    assert code == 0
    assert [e["kind"] for e in report["timeline"]] == ["symptom", "decision", "execution", "outcome"]
    assert report["timeline"][1]["candidates"] == ["restart", "kill"]
    assert report["policy_counter"]["used"] == 1 and report["policy_counter"]["limit"] == 3
    code, out, _ = run(capsys, "kb", "show", "1", "--db", str(db))
    assert code == 0 and "actions on process:web in the last 600s: 1/3" in out
    code, _, err = run(capsys, "kb", "show", "99", "--db", str(db))
    assert code == 1 and "no incident 99" in err


def test_actions_success_rate(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kb", "actions", "--db", str(db), "--json")
    [row] = json.loads(out)
    assert code == 0 and row["signature"] == "down@process:web" and row["action"] == "restart"
    assert row["success_rate"] == 1.0 and row["resolved"] == 1 and row["executions"] == 1


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for command in (
        "mapekd run",
        "mapekd check-config",
        "mapekd kb incidents",
        "mapekd kb show",
        "mapekd kb actions",
        "mapekd llm status",
    ):
        assert command in readme, command

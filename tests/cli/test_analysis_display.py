"""Where people read analyses (`mapekd kb show`, `mapekd explain`), an ungrounded one is shown
as "ungrounded, not verified" with what it cited that the evidence does not hold, never as fact."""

from __future__ import annotations

import json
import time
from pathlib import Path

from mapekd.knowledge.store import SqliteStore
from tests.cli.conftest import Run

INVENTED = {
    "summary": "a 100% chance of a fatal accident",
    "anomalies": [],
    "suspected_cause": "the disk",
    "confidence": 0.9,
}


def add_analysis(db: Path, incident: int, parsed: dict[str, object], **columns: object) -> None:
    store = SqliteStore(db)
    store.record_analysis(
        {
            "incident_id": incident,
            "ts": time.time(),
            "state": "ok",
            "summary": str(parsed.get("summary", "")),
            "suspected_cause": str(parsed.get("suspected_cause", "")),
            "parsed": json.dumps(parsed),
            "model": "SmolLM2",
            **columns,
        }
    )
    store.close()


def test_kb_show_and_explain_mark_an_ungrounded_analysis(history_db: Path, run: Run, tmp_path: Path) -> None:
    add_analysis(history_db, 7, INVENTED, grounded=0, unsupported=json.dumps(["100"]))
    config = tmp_path / "empty.yaml"
    config.write_text("{}\n")
    code, out, _ = run("kb", "show", "7", "--db", str(history_db))
    line = next(line for line in out.splitlines() if " analysis " in line)
    assert code == 0 and "ungrounded, not verified:  a 100% chance of a fatal accident" in line
    assert "not in the evidence: 100" in out
    code, out, _ = run("explain", "7", "--no-llm", "--db", str(history_db), "--config", str(config))
    assert code == 0
    assert "Analysis (ungrounded, not verified: it cites what the evidence does not hold: 100):" in out
    assert "Analysis (90% confident)" not in out


def test_a_grounded_structured_analysis_is_shown_as_recorded(
    history_db: Path, run: Run, tmp_path: Path
) -> None:
    cause = {"cause": "dependency", "evidence": ["e1"], "suggested": "start_db"}
    add_analysis(history_db, 7, cause, summary="cause class dependency (e1); suggested start_db", grounded=1)
    config = tmp_path / "empty.yaml"
    config.write_text("{}\n")
    code, out, _ = run("kb", "show", "7", "--db", str(history_db))
    assert code == 0 and "cause class dependency (e1); suggested start_db" in out and "ungrounded" not in out
    code, out, _ = run("explain", "7", "--no-llm", "--db", str(history_db), "--config", str(config))
    assert "Cause class: dependency, shown by evidence e1; suggested: start_db." in out.splitlines()


def test_explain_without_a_model_renders_analyses_and_approvals_in_the_timeline(
    history_db: Path, run: Run, tmp_path: Path
) -> None:
    add_analysis(history_db, 8, INVENTED, grounded=1)
    config = tmp_path / "empty.yaml"
    config.write_text("{}\n")
    code, out, err = run("explain", "8", "--no-llm", "--db", str(history_db), "--config", str(config))
    lines = [line.split("s  ", 1)[-1] for line in out.splitlines()]
    assert code == 0, err
    assert "approval  pending reboot" in lines and "analysis  ok" in lines

"""`mapekd kb incidents | show | actions | stats | llm` over the known history of kbdata.py."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run


def ids(out: str) -> list[int]:
    return [row["id"] for row in json.loads(out)]


def test_incidents_filters(history_db: Path, run: Run) -> None:
    db = ["--db", str(history_db), "--json", "--since", "7d"]
    code, out, _ = run("kb", "incidents", *db)
    rows = json.loads(out)
    assert code == 0 and [r["id"] for r in rows] == [8, 7, 6, 5, 4, 3, 2, 1]
    assert {r["id"]: r["actions"] for r in rows} == {8: 0, 7: 1, 6: 1, 5: 1, 4: 1, 3: 1, 2: 1, 1: 1}
    assert ids(run("kb", "incidents", *db, "--state", "open")[1]) == [8, 6]
    assert ids(run("kb", "incidents", *db, "--state", "gave_up")[1]) == [5]
    assert ids(run("kb", "incidents", *db, "--signature", "cpu_high@*")[1]) == [6, 5]
    assert ids(run("kb", "incidents", *db, "--signature", "down@process:web")[1]) == [4, 3, 2, 1]
    assert ids(run("kb", "incidents", *db, "--target", "host:*")[1]) == [7, 6, 5]
    assert ids(run("kb", "incidents", *db, "--limit", "2")[1]) == [8, 7]


def test_incidents_text_and_errors(history_db: Path, run: Run) -> None:
    code, out, _ = run("kb", "incidents", "--db", str(history_db), "--since", "7d")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["ID", "STATUS", "SIGNATURE"]
    assert lines[1].split()[:3] == ["8", "open", "mem_high@process:db"]
    assert "gave_up" in lines[4] and "cpu_high@host:local" in lines[4]
    code, _, err = run("kb", "incidents", "--db", str(history_db), "--since", "yesterday")
    assert code == 2 and "--since" in err
    code, _, err = run("kb", "incidents", "--db", str(history_db.parent / "missing.db"))
    assert code == 1 and "no knowledge base at" in err


def test_show_puts_the_llm_proposal_beside_the_final_choice(history_db: Path, run: Run) -> None:
    code, out, _ = run("kb", "show", "7", "--db", str(history_db), "--json")
    report = json.loads(out)
    assert code == 0 and [e["kind"] for e in report["timeline"]] == [
        "symptom",
        "decision",
        "execution",
        "outcome",
    ]
    decision = report["timeline"][1]
    assert decision["proposal"]["action"] == "wipe" and decision["action"] == "cleanup"
    assert decision["override_reason"].startswith("the LLM chose wipe")
    assert report["policy_counter"]["limit"] == 3
    code, out, _ = run("kb", "show", "7", "--db", str(history_db))
    decision_line = next(line for line in out.splitlines() if " decision " in line)
    assert "LLM proposed wipe (confidence 0.3, risk high)" in decision_line
    assert "-> final: cleanup" in decision_line and "overridden: the LLM chose wipe" in decision_line
    assert "actions on host:/var in the last 600s: 0/3" in out


def test_show_an_incident_waiting_for_approval(history_db: Path, run: Run) -> None:
    code, out, _ = run("kb", "show", "8", "--db", str(history_db), "--json")
    timeline = json.loads(out)["timeline"]
    assert [e["kind"] for e in timeline] == ["symptom", "decision", "approval"]
    assert timeline[1]["verdict"] == "pending_approval" and timeline[2]["state"] == "pending"
    code, _, err = run("kb", "show", "99", "--db", str(history_db))
    assert code == 1 and "no incident 99" in err


def test_actions_success_rates_with_counts(history_db: Path, run: Run) -> None:
    code, out, _ = run("kb", "actions", "--db", str(history_db), "--json")
    rows = {(r["signature"], r["action"]): r for r in json.loads(out)}
    assert code == 0 and set(rows) == {
        ("cpu_high@host:local", "kill"),
        ("cpu_high@host:other", "kill"),
        ("disk_full@host:/var", "cleanup"),
        ("down@process:web", "restart"),
    }
    web = rows[("down@process:web", "restart")]
    assert (web["executions"], web["verified"], web["resolved"], web["success_rate"]) == (4, 4, 4, 1.0)
    cpu = rows[("cpu_high@host:local", "kill")]
    assert (cpu["resolved"], cpu["not_resolved"], cpu["success_rate"]) == (0, 1, 0.0)
    _, out, _ = run("kb", "actions", "--db", str(history_db))
    assert "down@process:web" in out and "100%" in out and "0%" in out


def test_stats_time_to_mitigate_percentiles(history_db: Path, run: Run) -> None:
    code, out, _ = run("kb", "stats", "--db", str(history_db), "--json")
    rows = {r["signature"]: r for r in json.loads(out)}
    assert code == 0 and set(rows) == {"down@process:web", "disk_full@host:/var"}
    web = rows["down@process:web"]
    assert (web["incidents"], web["p50_s"], web["p90_s"], web["p99_s"], web["max_s"]) == (
        4,
        25.0,
        37.0,
        39.7,
        40.0,
    )
    assert rows["disk_full@host:/var"]["p50_s"] == 60.0
    _, out, _ = run("kb", "stats", "--db", str(history_db))
    assert "25.0s" in out and "37.0s" in out


def test_llm_usage_and_calibration(history_db: Path, run: Run) -> None:
    code, out, _ = run("kb", "llm", "--db", str(history_db), "--json", "--since", "all")
    report = json.loads(out)
    [usage] = report["usage"]
    assert code == 0 and (usage["provider"], usage["calls"], usage["cached"]) == ("local", 6, 1)
    assert (usage["input_tokens"], usage["output_tokens"], usage["cost"]) == (600, 120, 0.06)
    assert usage["cache_hit_rate"] == 0.167 and usage["p50_latency_ms"] == 400.0
    assert usage["avg_latency_ms"] == 440.0  # the cache hit's 500 ms is not a provider's latency
    calibration = report["calibration"]
    assert calibration["decisions"] == 2 and calibration["brier"] == 0.81 and calibration["ece"] == 0.9
    top = calibration["bins"][-1]
    assert (top["low"], top["high"], top["decisions"], top["stated"], top["success_rate"]) == (
        0.8,
        1.0,
        2,
        0.9,
        0.0,
    )
    assert all(b["decisions"] == 0 for b in calibration["bins"][:-1])
    _, out, _ = run("kb", "llm", "--db", str(history_db), "--since", "all")
    assert "0.80-1.00" in out and "Brier score 0.81" in out

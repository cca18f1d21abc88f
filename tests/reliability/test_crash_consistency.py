"""Crash consistency: a busy `mapekd run` (a service in a crash loop restarted again and again, a
high-risk remedy waiting for an approval, the API with chat jobs queued and running) is SIGKILLed
at random moments, again and again. After each restart the knowledge base is intact
(`PRAGMA integrity_check`, foreign keys), every row read as committed before any kill is still
there, and no execution of a killed daemon is left `started`: the new daemon reconciled it."""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import free_port
from tests.e2e import conftest as e2e
from tests.e2e.harness import Daemon, Service, base_config
from tests.reliability.sizes import sized, sizes

daemons = e2e.daemons  # the end-to-end fixture: every daemon started is killed at the end
TABLES = ("incidents", "decisions", "executions", "approvals", "jobs")
TOKEN = "llm-token-crash-consistency-01"
JOB = {"model": "canned-model", "messages": [{"role": "user", "content": "slow job please"}]}
CRASH_AFTER = 2.0
"""The service dies this long after each start: a restart every couple of seconds."""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    svc = Service(tmp_path, free_port(), crash_after=CRASH_AFTER)
    yield svc
    svc.stop_all()


def crash_config(tmp: Path, service: Service, api_port: int) -> dict[str, Any]:
    config = base_config(
        tmp, service, cooldown="0s", max_actions=100_000, max_executions=100_000, prefer_knowledge=False
    )
    config["daemon"]["shutdown_grace"] = "2s"
    config["rules"].append(
        {
            "name": "svc_unreachable",
            "check": "svc_http",
            "when": "ok == false",
            "severity": "critical",
            "remedies": ["fail_over"],
        }
    )
    marker = f"open({str(tmp / 'fail_over-ran')!r}, 'a').write('x')"
    config["actions"].append(
        {"name": "fail_over", "type": "command", "argv": [sys.executable, "-c", marker], "risk": "high"}
    )
    config["plan"] = {"llm": "never", "analyze": False}
    answers = tmp / "answers.yaml"
    answers.write_text(
        yaml.safe_dump(
            {"default": "ok", "answers": [{"match": "slow job", "answer": "done", "delay": "1500ms"}]}
        )
    )
    config["llm"] = {
        "providers": [
            {"name": "canned", "type": "offline", "answers_path": str(answers), "model": "canned-model"}
        ]
    }
    config["api"] = {
        "enabled": True,
        "port": api_port,
        "tokens": [{"name": "apps", "token": TOKEN, "rights": ["llm"]}],
        # Finished jobs are kept: pruning deletes them on purpose, which is not a loss.
        "jobs": {"workers": 1, "max_attempts": 100, "retention": "1d", "max_finished": 100_000},
    }
    return config


def read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)


def committed(db: Path) -> dict[str, set[Any]]:
    """The ids of every table, as a reader beside the daemon sees them: committed rows only."""
    with closing(read_only(db)) as conn:
        return {table: {row[0] for row in conn.execute(f"SELECT id FROM {table}")} for table in TABLES}


def execution_started(db: Path) -> bool:
    with closing(read_only(db)) as conn:
        return conn.execute("SELECT 1 FROM executions WHERE state = 'started'").fetchone() is not None


def queue_jobs(api_port: int, db: Path, pending: int) -> None:
    """Submit jobs until `pending` are queued or running (the token's quota is never reached)."""
    with closing(read_only(db)) as conn:
        [(now,)] = conn.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
    for _ in range(pending - now):
        accepted = httpx.post(
            f"http://127.0.0.1:{api_port}/v1/chat/jobs",
            json=JOB,
            headers={"authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert accepted.status_code == 202, accepted.text


def kill_at_random(daemon: Daemon, db: Path, targeted: bool) -> dict[str, set[Any]]:
    """SIGKILL the daemon after a random delay (or, targeted, as soon as an action is running);
    return the ids committed just before."""
    if targeted:
        deadline = time.monotonic() + 5
        while not execution_started(db) and time.monotonic() < deadline:
            time.sleep(0.01)
    else:
        time.sleep(random.uniform(0, 1.5 * CRASH_AFTER))  # over a whole crash-restart period
    seen = committed(db)
    assert daemon.proc is not None
    daemon.proc.kill()
    daemon.proc.wait(10)
    return seen


def check_after_restart(db: Path, before: dict[str, set[Any]], restarted_at: float) -> None:
    with closing(sqlite3.connect(db, timeout=10)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for table in TABLES:
            now = {row[0] for row in conn.execute(f"SELECT id FROM {table}")}
            lost = before[table] - now
            assert not lost, f"{table} lost committed rows {sorted(lost)[:10]}"
        left = conn.execute(
            "SELECT id FROM executions WHERE state = 'started' AND started_at < ?", (restarted_at,)
        ).fetchall()
        assert left == [], f"executions of a killed daemon still started: {left}"
        held = conn.execute(
            "SELECT id FROM jobs WHERE state = 'running' AND started_at < ?", (restarted_at,)
        ).fetchall()
        assert held == [], f"jobs of a killed daemon still running, not queued again: {held}"


@pytest.mark.timeout(120 + 10 * sizes().kills)
def test_kill_9_at_random_moments_loses_nothing(
    tmp_path: Path, service: Service, daemons: list[Daemon], monkeypatch: pytest.MonkeyPatch
) -> None:
    kills = sized(monkeypatch).kills
    db, api_port = tmp_path / "kb.db", free_port()
    service.start()
    daemon = Daemon(tmp_path, crash_config(tmp_path, service, api_port))
    daemons.append(daemon)
    daemon.start()
    ever: dict[str, set[Any]] = {table: set() for table in TABLES}
    reconciled = 0
    began = time.monotonic()
    for round_ in range(kills):
        queue_jobs(api_port, db, 2)
        for table, ids in kill_at_random(daemon, db, targeted=round_ % 2 == 1).items():
            ever[table] |= ids
        restarted_at = time.time()
        daemon.start()
        reconciled += sum(e["executions"] for e in daemon.events("reconciled"))
        check_after_restart(db, ever, restarted_at)
    took = time.monotonic() - began

    assert ever["executions"] and ever["approvals"] and ever["jobs"], "the daemon was busy"
    assert reconciled > 0, "no kill caught an action in flight: the reconciliation went untested"
    assert not (tmp_path / "fail_over-ran").exists(), "the high-risk remedy ran without an approval"
    assert daemon.stop() == 0
    with closing(read_only(db)) as conn:
        [(rerun,)] = conn.execute("SELECT COUNT(*) FROM jobs WHERE attempts > 1").fetchall()
    assert rerun > 0, "no kill caught a job running: its re-queueing went untested"
    counts = {table: len(ids) for table, ids in ever.items()}
    print(
        f"crash consistency: {kills} kills in {took:.0f}s, {reconciled} executions reconciled, "
        f"{rerun} jobs run again, rows {counts}"
    )

"""`depends_on` in the loop: with the database down as well, the web service's incident is
attributed to the database's ("caused by N") and waits while the database is remedied first;
when the database's incident gives up, the web service's escalates with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.plan.loop import Loop, base_config, marker_action, running_loop, service_argv


def start_db(tmp: Path) -> dict[str, Any]:
    code = (
        f"import subprocess; p = subprocess.Popen({service_argv(tmp)!r}, start_new_session=True, "
        "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
        f"; open({str(tmp / 'db.pid')!r}, 'w').write(str(p.pid))"
    )
    return {"name": "start_db", "type": "command", "argv": [sys.executable, "-c", code], "settle": "300ms"}


def broken_db(_tmp: Path) -> dict[str, Any]:
    return {"name": "start_db", "type": "command", "argv": [sys.executable, "-c", "raise SystemExit(1)"]}


def config(tmp: Path, db_action: dict[str, Any], **policy: Any) -> dict[str, Any]:
    out = base_config(tmp, None)
    out["checks"] = [
        {"name": "svc", "type": "process", "pidfile": str(tmp / "svc.pid"), "depends_on": ["db"]},
        {"name": "db", "type": "process", "pidfile": str(tmp / "db.pid")},
    ]
    out["rules"] = [  # the dependent's rule first: without depends_on it would be decided first
        {"name": "svc_down", "check": "svc", "when": "alive == false", "remedies": ["restart_a"]},
        {"name": "db_down", "check": "db", "when": "alive == false", "remedies": ["start_db"]},
    ]
    out["actions"] = [marker_action(tmp, "restart_a", restarts=True), db_action]
    out["policy"].update(policy)
    return out


def start_db_now(tmp: Path) -> None:
    proc = subprocess.Popen(service_argv(tmp), start_new_session=True)
    (tmp / "db.pid").write_text(f"{proc.pid}\n")


async def both_down(loop: Loop) -> None:
    loop.start_service()
    start_db_now(loop.tmp)
    await loop.engine.cycle()
    (loop.tmp / "svc.pid").write_text("999999999\n")  # gone: no process has that pid
    (loop.tmp / "db.pid").write_text("999999999\n")
    await loop.engine.cycle()


def decisions(loop: Loop) -> list[dict[str, Any]]:
    return loop.rows(
        "SELECT d.action, d.verdict, d.reason, i.signature FROM decisions d "
        "JOIN incidents i ON i.id = d.incident_id ORDER BY d.id"
    )


async def test_the_dependency_is_remedied_first_and_the_dependent_waits(tmp_path: Path) -> None:
    async with running_loop(tmp_path, config(tmp_path, start_db(tmp_path))) as loop:
        await both_down(loop)
        await loop.settle()
        await loop.engine.cycle()  # the database is up: the web service is decided now
        await loop.settle()
        rows = decisions(loop)
        db = loop.rows("SELECT id FROM incidents WHERE signature = 'db_down@process:db'")[0]["id"]

    assert [(r["signature"], r["verdict"], r["action"]) for r in rows] == [
        ("svc_down@process:svc", "no_action", None),
        ("db_down@process:db", "execute", "start_db"),
        ("svc_down@process:svc", "execute", "restart_a"),
    ]
    assert (
        rows[0]["reason"]
        == f"caused by incident {db} (dependency db is failing): waits while that is remedied first"
    )


async def test_the_dependents_escalate_with_a_dependency_that_gave_up(tmp_path: Path) -> None:
    cfg = config(tmp_path, broken_db(tmp_path), max_actions=1)
    async with running_loop(tmp_path, cfg) as loop:
        await both_down(loop)
        await loop.settle()
        for _ in range(2):
            await loop.engine.cycle()
            await loop.settle()
        rows = decisions(loop)
        statuses = {r["signature"]: r["status"] for r in loop.rows("SELECT signature, status FROM incidents")}
        db = loop.rows("SELECT id FROM incidents WHERE signature = 'db_down@process:db'")[0]["id"]

    assert statuses == {"svc_down@process:svc": "gave_up", "db_down@process:db": "gave_up"}
    assert "restart_a" not in loop.ran()
    gave_up = [r for r in rows if r["verdict"] == "gave_up" and r["signature"] == "svc_down@process:svc"]
    assert len(gave_up) == 1
    assert gave_up[0]["reason"] == f"caused by incident {db} (dependency db), which gave up; escalating"

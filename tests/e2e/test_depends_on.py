"""`depends_on` with a real `mapekd run`: the web service depends on its database; both are
SIGKILLed, the database first, and the database takes 2 s to start again. The web service's
incident is recorded as caused by the database's (shown by `mapekd kb show`) and is remedied
only after it."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill

SLOW_START = "import os, sys, time; time.sleep(2); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
"""Sleeps, then becomes the command given after it (the same process)."""


def test_the_dependency_is_started_first_and_kb_show_tells_why(tmp_path: Path, daemons: list[Daemon]) -> None:
    (tmp_path / "db").mkdir()
    web, db = Service(tmp_path, free_port()), Service(tmp_path / "db", free_port())
    try:
        web_pid, db_pid = web.start(), db.start()
        config = base_config(tmp_path, web)
        config["checks"][0]["depends_on"] = ["db_process"]
        config["checks"].append(
            {"name": "db_process", "type": "process", "pidfile": str(db.pidfile), "cmdline": str(db.pidfile)}
        )
        config["rules"].append(
            {"name": "db_down", "check": "db_process", "when": "alive == false", "remedies": ["start_db"]}
        )
        start_db = {
            **config["actions"][0],
            "name": "start_db",
            "argv": [sys.executable, "-c", SLOW_START, *db.argv[1:]],
            "log_file": str(tmp_path / "db.log"),
            "settle": "5s",
        }
        config["actions"].append(start_db)
        daemon = Daemon(tmp_path, config)
        daemons.append(daemon)
        daemon.start()
        kill(db_pid)  # the database dies first, and the web service with it
        wait_for(lambda: daemon.events("decision", action="start_db"), message="database remedied")
        kill(web_pid)

        wait_for(lambda: web.healthy() and db.healthy(), timeout=60, message="both services healthy again")
        executed = [
            e["action"] for e in daemon.lines() if e.get("event") == "decision" and e["verdict"] == "execute"
        ]
        assert executed == ["start_db", "start_svc"]
        waited = daemon.events("decision", verdict="no_action")
        assert len(waited) == 1 and waited[0]["signature"] == "svc_down@process:svc_process"
        db_incident = daemon.events("decision", action="start_db")[0]["incident"]

        shown = daemon.kb("show", str(waited[0]["incident"]))
        reasons = [e["reason"] for e in shown["timeline"] if e["kind"] == "decision"]
        assert reasons[0] == (
            f"caused by incident {db_incident} (dependency db_process is failing): "
            "waits while that is remedied first"
        )
        assert daemon.stop() == 0
    finally:
        web.stop_all()
        db.stop_all()

"""A SIGSTOPped web process answers nothing; the hang's remedy SIGKILLs it and its supervisor
starts it again. The process-down incident that the kill causes is expected: recorded as caused
by that remedy and not remedied on its own (nothing starts a second instance)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
from pathlib import Path
from typing import Any

from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill


class Supervisor:
    """Starts the service again whenever it exits (as systemd's Restart= would), until stopped."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.stopping = threading.Event()
        self.starts = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopping.is_set():
            proc = subprocess.Popen(
                self.service.argv,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.service.seen_pids.add(proc.pid)
            self.starts += 1
            proc.wait()

    def stop(self) -> None:
        self.stopping.set()
        self.service.stop_all()
        self.thread.join(10)


def hang_config(tmp_path: Path, service: Service) -> dict[str, Any]:
    config = base_config(tmp_path, service, cooldown="1s")
    config["checks"][0]["service"] = "web"
    config["checks"][1]["service"] = "web"
    config["rules"].append(
        {
            "name": "svc_hung",
            "check": "svc_http",
            "when": "ok == false",
            "for": "2s",
            "remedies": ["kill_svc"],
        }
    )
    config["actions"].append(
        {"name": "kill_svc", "type": "signal", "check": "svc_process", "signal": "SIGKILL", "settle": "4s"}
    )
    return config


def test_the_process_down_incident_a_kill_causes_is_expected_not_remedied(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    service = Service(tmp_path, free_port())
    supervisor = Supervisor(service)
    supervisor.thread.start()
    try:
        wait_for(service.healthy, message="service healthy")
        daemon = Daemon(tmp_path, hang_config(tmp_path, service))
        daemons.append(daemon)
        daemon.start()
        stopped = service.pid()
        assert stopped is not None
        kill(stopped, signal.SIGSTOP)

        wait_for(lambda: daemon.events("decision", action="kill_svc"), timeout=30, message="kill decided")
        expected = wait_for(
            lambda: [e for e in daemon.events("decision", verdict="no_action") if "expected" in e["reason"]],
            timeout=30,
            message="the process-down incident recorded as expected",
        )[0]
        hung = daemon.events("decision", action="kill_svc")[0]
        assert expected["signature"] == "svc_down@process:svc_process"
        with sqlite3.connect(tmp_path / "kb.db") as db:
            (execution,) = db.execute("SELECT id FROM executions WHERE action = 'kill_svc'").fetchone()
        assert expected["reason"].startswith(
            f"expected: caused by the remedy kill_svc (execution {execution}) of incident {hung['incident']}"
        )
        wait_for(
            lambda: daemon.events("outcome", decision=hung["decision"]), timeout=30, message="kill verified"
        )
        assert daemon.events("outcome", decision=hung["decision"])[0]["outcome"] == "resolved"
        wait_for(
            lambda: daemon.events("incident_resolved", incident=expected["incident"]),
            timeout=30,
            message="the expected incident resolved by itself",
        )
        assert daemon.events("decision", action="start_svc") == []  # never remedied on its own
        assert service.healthy() and supervisor.starts == 2
        assert daemon.stop() == 0
    finally:
        supervisor.stop()

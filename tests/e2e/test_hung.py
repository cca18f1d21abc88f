"""A SIGSTOPped service (alive, not answering) is debounced, killed by a signal action, restarted,
and healthy again."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

from tests.conftest import wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill

SIGNATURE = "svc_unhealthy@http:svc_http"
DEBOUNCE_S = 2.0


def test_hung_service_is_debounced_then_remedied(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    first_pid = service.start()
    config = base_config(tmp_path, service)
    config["rules"].append(
        {
            "name": "svc_unhealthy",
            "check": "svc_http",
            "when": "ok == false",
            "for": f"{DEBOUNCE_S}s",
            "remedies": ["kill_svc"],
        }
    )
    config["actions"].append(
        {"name": "kill_svc", "type": "signal", "check": "svc_process", "signal": "SIGKILL", "settle": "3s"}
    )
    config["knowledge"]["record_samples"] = True  # the first failing sample dates the debounce
    daemon = Daemon(tmp_path, config)
    daemons.append(daemon)
    daemon.start()

    kill(first_pid, signal.SIGSTOP)
    decision = wait_for(
        lambda: daemon.events("decision", signature=SIGNATURE), message="decision on the hung service"
    )[0]
    wait_for(lambda: (p := service.pid()) != first_pid and p, message="service restarted")
    wait_for(service.healthy, message="HTTP health passing again")

    report = wait_for(
        lambda: (i := daemon.incident(SIGNATURE)) and i["status"] == "resolved" and i,
        message="hung incident resolved",
    )
    symptom = next(e for e in report["timeline"] if e["kind"] == "symptom")
    with sqlite3.connect(tmp_path / "kb.db") as db:
        first_failure = db.execute(
            "SELECT MIN(ts) FROM samples WHERE target = 'http:svc_http' AND ok = 0"
        ).fetchone()[0]
    # Debounce: the symptom comes only once the check has failed for DEBOUNCE_S.
    assert symptom["ts"] - first_failure >= DEBOUNCE_S
    assert decision["action"] == "kill_svc" and decision["verdict"] == "execute"
    execution = next(e for e in report["timeline"] if e["kind"] == "execution")
    assert execution["state"] == "succeeded" and "SIGKILL" in execution["output_tail"]
    assert daemon.stop() == 0

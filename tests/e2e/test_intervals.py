"""Each check on its own interval, in a real `mapekd run`: an HTTP check every second beside a
host check and a process check every 30 s. A hung service (SIGSTOP: alive, not answering) is
seen within a few seconds, not at the 30 s one's pace; its process, on the 30 s interval, is
still watched at once (the kill that remedies it is seen and the service restarted); the status
lists each job's next run, and a reload changes an interval."""

from __future__ import annotations

import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill

SIGNATURE = "svc_unhealthy@http:svc_http"
TOKEN = "read-token-0123456789"
SEEN_WITHIN_S = 6.0
"""1 s interval + 1 s timeout + the decision, with a generous margin; the 30 s groups would take
up to 30 s."""


def config_for(tmp: Path, service: Service, port: int) -> dict[str, Any]:
    config = base_config(tmp, service)
    config["daemon"]["interval"] = "30s"
    config["checks"][1]["interval"] = "1s"  # svc_http; svc_process stays on the daemon's 30 s
    config["checks"].append({"name": "host", "type": "host", "mounts": []})
    config["rules"].append(
        {"name": "svc_unhealthy", "check": "svc_http", "when": "ok == false", "remedies": ["kill_svc"]}
    )
    config["actions"].append(
        {"name": "kill_svc", "type": "signal", "check": "svc_process", "signal": "SIGKILL", "settle": "3s"}
    )
    config["api"] = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "tokens": [{"name": "ops", "rights": ["read"], "token": TOKEN}],
    }
    return config


def status(port: int) -> dict[str, Any]:
    answer = httpx.get(
        f"http://127.0.0.1:{port}/api/v1/status", headers={"authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    answer.raise_for_status()
    loop: dict[str, Any] = answer.json()["loop"]
    return loop


def jobs(port: int) -> dict[str, dict[str, Any]]:
    return {job["id"]: job for job in status(port)["jobs"]}


def test_a_one_second_check_beside_thirty_second_ones(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    first_pid = service.start()
    port = free_port()
    config = config_for(tmp_path, service, port)
    daemon = Daemon(tmp_path, config)
    daemons.append(daemon)
    daemon.start()

    listed = jobs(port)
    assert set(listed) == {"checks@1s", "checks@30s", "maintenance"}
    now = time.time()
    assert listed["checks@1s"]["trigger"] == "every 1s" and listed["checks@1s"]["next_run_at"] <= now + 2
    assert now + 20 <= listed["checks@30s"]["next_run_at"] <= now + 31  # the first run was at the start
    assert listed["maintenance"]["trigger"] == "cron 30 3 * * *"
    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", headers={"authorization": f"Bearer {TOKEN}"})
    assert ready.json()["checks"]["loop"] is True

    stopped_at = time.time()
    kill(first_pid, signal.SIGSTOP)
    decision = wait_for(
        lambda: daemon.events("decision", signature=SIGNATURE), message="the hung service seen"
    )[0]
    seen_after = datetime.fromisoformat(decision["ts"]).timestamp() - stopped_at
    assert seen_after <= SEEN_WITHIN_S, f"seen {seen_after:.1f}s after it hung"
    # The kill is seen through the process's pidfd at once, though its check runs every 30 s.
    wait_for(lambda: (p := service.pid()) != first_pid and p, timeout=15, message="service restarted")
    wait_for(service.healthy, message="HTTP health passing again")
    # The death collected its own check only: the host check beside it in the 30 s group was not.
    checks = {c["name"]: c for c in status(port)["checks"]}
    assert checks["svc_process"]["last_sample_at"] > stopped_at > checks["host"]["last_sample_at"]

    config["checks"][1]["interval"] = "2s"
    daemon.config_path.write_text(yaml.safe_dump(config))
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: daemon.events("reloaded"), message="reload")
    listed = wait_for(lambda: "checks@2s" in (j := jobs(port)) and j, message="the new interval's job")
    assert set(listed) == {"checks@2s", "checks@30s", "maintenance"}
    assert daemon.stop() == 0

"""SIGTERM finishes (or records) the in-flight action and exits 0; SIGHUP reloads the
configuration and keeps the old one when the new one is invalid."""

from __future__ import annotations

import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill


def _slow_restart(config: dict[str, Any], service: Service, seconds: float) -> None:
    """The restart first sleeps `seconds`: an action that is still running at SIGTERM."""
    script = (
        f"import subprocess, sys, time; time.sleep({seconds}); "
        f"subprocess.Popen({service.argv!r}, start_new_session=True, "
        f"stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
    )
    config["actions"][0].update({"argv": [sys.executable, "-c", script], "detach": False, "timeout": "60s"})


def _stop_during_action(
    tmp_path: Path, service: Service, daemons: list[Daemon], *, action_s: float, grace: str
) -> Daemon:
    """Crash the service; return the daemon once it has decided and its action is running."""
    first_pid = service.start()
    config = base_config(tmp_path, service)
    config["daemon"]["shutdown_grace"] = grace
    _slow_restart(config, service, action_s)
    daemon = Daemon(tmp_path, config)
    daemons.append(daemon)
    daemon.start()
    kill(first_pid)
    wait_for(lambda: daemon.events("decision"), message="decision")
    return daemon


def _executions(db: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT state, error FROM executions").fetchall()


def test_sigterm_lets_the_in_flight_action_finish(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    daemon = _stop_during_action(tmp_path, service, daemons, action_s=2.0, grace="10s")
    assert daemon.stop() == 0
    assert _executions(tmp_path / "kb.db") == [("succeeded", None)]
    wait_for(service.healthy, message="the restart completed")


def test_sigterm_records_an_action_past_the_grace_period(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    daemon = _stop_during_action(tmp_path, service, daemons, action_s=30.0, grace="1s")
    assert daemon.stop() == 0
    [(state, error)] = _executions(tmp_path / "kb.db")
    assert state == "interrupted" and "stopped before the action completed" in (error or "")
    assert not service.healthy(), "the interrupted action's process was left running"


def test_sighup_reloads_and_keeps_the_old_config_when_invalid(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    service.start()
    config = base_config(tmp_path, service)
    daemon = Daemon(tmp_path, config)
    daemons.append(daemon)
    daemon.start()
    assert daemon.proc is not None

    daemon.config_path.write_text("checks:\n  - name: x\n    type: http\n    url: nope\n")
    daemon.proc.send_signal(signal.SIGHUP)
    failed = wait_for(lambda: daemon.events("reload_failed"), message="reload_failed")[0]
    assert "checks[0].url: invalid URL" in failed["error"]
    assert daemon.proc.poll() is None

    config["rules"].append(
        {"name": "svc_slow", "check": "svc_http", "when": "latency_ms > -1", "remedies": []}
    )
    daemon.config_path.write_text(yaml.safe_dump(config))
    daemon.proc.send_signal(signal.SIGHUP)
    reloaded = wait_for(lambda: daemon.events("reloaded"), message="reloaded")[0]
    assert reloaded["rules"] == 2
    # The new rule is live: it fires on the next cycle; it has no remedy and there is no LLM to
    # propose one, so the decision is to do nothing (recorded once).
    wait_for(
        lambda: daemon.events("decision", signature="svc_slow@http:svc_http", verdict="no_action"),
        message="new rule evaluated",
    )
    assert daemon.stop() == 0

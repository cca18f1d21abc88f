"""--dry-run runs the whole path and executes nothing: the decision is stored as would_execute."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill

SIGNATURE = "svc_down@process:svc_process"


def test_dry_run_decides_but_does_not_restart(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    first_pid = service.start()
    daemon = Daemon(tmp_path, base_config(tmp_path, service), "--dry-run")
    daemons.append(daemon)
    daemon.start()

    kill(first_pid)
    wait_for(lambda: daemon.events("outcome", signature=SIGNATURE), message="dry-run outcome")

    assert service.pid() == first_pid, "the pidfile was rewritten: something restarted it"
    assert not service.healthy()
    line = daemon.events("decision", signature=SIGNATURE)[0]
    assert line["verdict"] == "would_execute" and line["dry_run"] is True
    assert line["action"] == "start_svc"

    report = daemon.incident(SIGNATURE)
    assert report is not None and report["status"] == "open"
    decision = next(e for e in report["timeline"] if e["kind"] == "decision")
    execution = next(e for e in report["timeline"] if e["kind"] == "execution")
    assert decision["verdict"] == "would_execute" and decision["dry_run"] == 1
    assert execution["state"] == "would_execute"
    assert daemon.stop() == 0
    assert not (tmp_path / "svc.log").exists(), "the restart command was run"

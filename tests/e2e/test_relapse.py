"""A service that dies a few seconds after every start: each restart "works" at its verification,
then the service dies again within the watched window. The outcomes are `relapsed`, not
`resolved`, and after `max_relapses` relapses the signature escalates as flapping, before the
action counter would have given up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill


def test_a_service_dying_after_every_start_relapses_and_escalates(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    service = Service(tmp_path, free_port(), crash_after=3.0)
    try:
        first_pid = service.start()
        config = base_config(tmp_path, service, cooldown="500ms", max_actions=5, relapse_watch="10s")
        daemon = Daemon(tmp_path, config)
        daemons.append(daemon)
        daemon.start()
        kill(first_pid)

        gave_up = wait_for(
            lambda: daemon.events("decision", verdict="gave_up"), timeout=90, message="gave_up decision"
        )[0]
        assert gave_up["reason"].startswith("flapping: relapse of incident")
        assert "relapsed 2 times" in gave_up["reason"]
        assert gave_up["counter"]["used"] < 5  # escalated as flapping, not by the action cap
        assert len(daemon.events("relapse")) == 2
        # The second relapse's outcome row may land a moment after the escalation it caused.
        wait_for(lambda: len(outcomes(tmp_path)) >= 2, timeout=10, message="two outcomes recorded")
        assert outcomes(tmp_path) == ["relapsed", "relapsed"]
        assert daemon.stop() == 0
    finally:
        service.stop_all()


def outcomes(tmp: Path) -> list[str]:
    with sqlite3.connect(tmp / "kb.db") as db:
        return [r for (r,) in db.execute("SELECT result FROM outcomes ORDER BY id")]

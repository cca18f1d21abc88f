"""The daemon runs its loop on uvloop (the default, `auto`) or asyncio's own, heals a crash at once on
either, and says which in its `started` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill


@pytest.mark.parametrize("choice", ["auto", "asyncio"])
def test_the_daemon_heals_a_crash_on_either_loop_and_says_which(
    tmp_path: Path, service: Service, daemons: list[Daemon], choice: str
) -> None:
    pid = service.start()
    config = base_config(tmp_path, service)
    config["daemon"]["event_loop"] = choice
    daemon = Daemon(tmp_path, config)
    daemons.append(daemon)
    daemon.start()
    [started] = daemon.events("started")
    assert started["event_loop"] == ("uvloop" if choice == "auto" else "asyncio")

    kill(pid)
    wait_for(lambda: daemon.events("outcome", outcome="resolved"), message="the crash healed")
    assert service.pid() != pid
    assert daemon.stop() == 0

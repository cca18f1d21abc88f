"""A real `mapekd run` talking to a NOTIFY_SOCKET the test owns, as it would to systemd: READY=1
after the first cycle, STATUS=, WATCHDOG=1 pings, RELOADING=1 then READY=1 on SIGHUP,
STOPPING=1 on SIGTERM; and a cycle that hangs in an action stops the pings until it returns."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import wait_for
from tests.service.conftest import Message, NotifyListener


class Run:
    """`mapekd run` with systemd's variables in its environment and its JSON log in a file."""

    def __init__(self, tmp: Path, config: dict[str, Any], env: dict[str, str]) -> None:
        self.config_path = tmp / "mapekd.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = tmp / "daemon.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "mapekd", "run", "--config", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp,
                env={**os.environ, **env},
            )

    def ready(self, listener: NotifyListener) -> Message:
        wait_for(lambda: listener.received("READY", "1") or self.proc.poll() is not None, message="READY=1")
        assert self.proc.poll() is None, self.log_path.read_text()
        return listener.received("READY", "1")[0]

    def events(self, kind: str) -> list[dict[str, Any]]:
        lines = [json.loads(raw) for raw in self.log_path.read_text().splitlines() if raw.startswith("{")]
        return [line for line in lines if line.get("event") == kind]


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait(10)


def _config(tmp: Path, **extra: Any) -> dict[str, Any]:
    return {
        "daemon": {"interval": "500ms", "shutdown_grace": "5s"},
        "knowledge": {"path": str(tmp / "kb.db")},
        **extra,
    }


def _env(listener: NotifyListener, watchdog_s: float) -> dict[str, str]:
    return {"NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": str(int(watchdog_s * 1_000_000))}


def test_ready_status_watchdog_reload_and_stop(
    tmp_path: Path, listener: NotifyListener, runs: list[Run]
) -> None:
    run = Run(tmp_path, _config(tmp_path), _env(listener, 1.0))
    runs.append(run)

    ready = run.ready(listener)
    assert run.events("ready"), "READY=1 before the first cycle was done"
    assert (tmp_path / "kb.db").exists()
    assert ready.fields["STATUS"] == "ok: 1 check, 0 open incidents"
    wait_for(lambda: len(listener.received("WATCHDOG", "1", after=ready.at)) >= 3, message="pings")

    hup = time.monotonic()
    run.proc.send_signal(signal.SIGHUP)
    reloading = listener.wait("RELOADING", "1", after=hup)
    assert int(reloading.fields["MONOTONIC_USEC"]) > 0
    reloaded = listener.wait("READY", "1", after=reloading.at)
    assert run.events("reloaded"), "READY=1 came before the reload was done"
    assert reloaded.at >= reloading.at

    term = time.monotonic()
    run.proc.send_signal(signal.SIGTERM)
    listener.wait("STOPPING", "1", after=term)
    assert run.proc.wait(30) == 0


def test_a_cycle_hung_in_an_action_stops_the_watchdog_pings(
    tmp_path: Path, listener: NotifyListener, runs: list[Run]
) -> None:
    """The healer runs actions inside the cycle: an action that takes 8s is a cycle stuck for 8s.
    With a 2s watchdog period and a 500ms interval the loop counts as healthy for 2s after the
    last completed cycle; after that no WATCHDOG=1 may arrive until the action returns."""
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    pidfile = tmp_path / "victim.pid"
    pidfile.write_text(str(victim.pid))
    marks = tmp_path / "action.marks"
    # No braces: they would be placeholders. The monotonic clock is shared by all processes.
    hang = (
        f"import time; f = open({str(marks)!r}, 'a'); f.write(str(time.monotonic()) + ' '); "
        "f.flush(); time.sleep(8); f.write(str(time.monotonic()))"
    )
    config = _config(
        tmp_path,
        checks=[{"name": "victim", "type": "process", "pidfile": str(pidfile)}],
        rules=[{"name": "victim_down", "check": "victim", "when": "alive == false", "remedies": ["hang"]}],
        actions=[{"name": "hang", "type": "command", "argv": [sys.executable, "-c", hang], "timeout": "60s"}],
        policy={"cooldown": "10m"},
    )
    run = Run(tmp_path, config, _env(listener, 2.0))
    runs.append(run)
    try:
        ready = run.ready(listener)
        wait_for(lambda: len(listener.received("WATCHDOG", "1", after=ready.at)) >= 2, message="pings")
        victim.kill()
        victim.wait(10)
        started = float(wait_for(lambda: _lines(marks), message="the action started")[0])
        lines = wait_for(lambda: len(_lines(marks)) == 2 and _lines(marks), timeout=30, message="action end")
        ended = float(lines[1])
        assert ended - started >= 7.5
        # 2s allowed gap after the last completed cycle (which ended before the action started),
        # plus 2s for a ping sent just before that to be read by the listener thread.
        silent = [m for m in listener.received("WATCHDOG", "1", after=started + 4.0) if m.at < ended]
        assert silent == [], f"{len(silent)} pings while the cycle was stuck"
        assert run.events("watchdog_withheld")
        listener.wait("WATCHDOG", "1", after=ended, timeout=30)
        assert run.events("watchdog_resumed")
        # The cycle that ran the action completed: its STATUS= counts the incident it opened.
        listener.wait("STATUS", "ok: 1 check, 1 open incident", after=ended)
    finally:
        victim.kill()
        victim.wait(10)
    run.proc.send_signal(signal.SIGTERM)
    assert run.proc.wait(30) == 0


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_status_says_degraded_while_the_base_cannot_take_writes(
    tmp_path: Path, listener: NotifyListener, runs: list[Run]
) -> None:
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    pidfile = tmp_path / "victim.pid"
    pidfile.write_text(str(victim.pid))
    config = _config(
        tmp_path,
        checks=[{"name": "victim", "type": "process", "pidfile": str(pidfile)}],
        rules=[{"name": "victim_down", "check": "victim", "when": "alive == false", "remedies": ["note"]}],
        actions=[{"name": "note", "type": "command", "argv": [sys.executable, "-c", "pass"]}],
    )
    run = Run(tmp_path, config, _env(listener, 2.0))
    runs.append(run)
    ready = run.ready(listener)
    lock = sqlite3.connect(str(tmp_path / "kb.db"), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    victim.kill()
    victim.wait(10)

    def status_has(text: str) -> bool:
        return any(text in m.fields.get("STATUS", "") for m in listener.received("STATUS", after=ready.at))

    wait_for(lambda: status_has("degraded: knowledge base unavailable"), message="STATUS=degraded")
    degraded = time.monotonic()
    wait_for(lambda: listener.received("WATCHDOG", "1", after=degraded), message="pings while degraded")
    lock.rollback()
    lock.close()
    back = time.monotonic()
    wait_for(lambda: run.events("knowledge_base_back"), message="caught up")
    wait_for(
        lambda: any(
            m.fields.get("STATUS", "").startswith("ok") for m in listener.received("STATUS", after=back)
        ),
        message="STATUS=ok again",
    )

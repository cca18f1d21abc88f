"""Errors that only show while building the engine (an invalid body_regex, Prometheus fields that
clash) are refused the same way by `check-config` (exit 2, key path and line) and by a SIGHUP
reload (reload_failed; the old engine, its watches and its settings stay; crashes still healed)."""

from __future__ import annotations

import copy
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill

SIGNATURE = "svc_down@process:svc_process"


def _bad_regex(config: dict[str, Any]) -> tuple[dict[str, Any], str]:
    bad = copy.deepcopy(config)
    bad["checks"][1]["body_regex"] = "ok(("
    return bad, "checks[1].body_regex: invalid body_regex"


def _field_clash(config: dict[str, Any]) -> tuple[dict[str, Any], str]:
    bad = copy.deepcopy(config)
    bad["checks"].append(
        {
            "name": "scrape",
            "type": "prometheus",
            "url": "http://127.0.0.1:1/metrics",
            "metrics": [{"name": "a", "field": "x"}, {"name": "b", "field": "x"}],
        }
    )
    return bad, "checks[2].metrics: metric fields clash"


BUILD_ERRORS = [_bad_regex, _field_clash]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("make_bad", BUILD_ERRORS, ids=lambda f: f.__name__.strip("_"))
def test_check_config_refuses_what_run_would_refuse(tmp_path: Path, make_bad: Any) -> None:
    service = Service(tmp_path, 1)
    bad, message = make_bad(base_config(tmp_path, service))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    key = message.split(":")[0].rsplit(".", 1)[-1].split("[")[0]

    for command in ("check-config", "run"):
        result = subprocess.run(
            [sys.executable, "-m", "mapekd", command, "--config", str(path), "--once"]
            if command == "run"
            else [sys.executable, "-m", "mapekd", command, "--config", str(path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert result.returncode == 2, (command, result.stderr)
        assert message in result.stderr
        item = "body_regex" if key == "body_regex" else "metrics"
        assert f"(line {_line_of(path.read_text(), item + ':')})" in result.stderr


@pytest.mark.parametrize("make_bad", BUILD_ERRORS, ids=lambda f: f.__name__.strip("_"))
def test_a_reload_that_fails_to_build_keeps_the_running_engine(
    tmp_path: Path, service: Service, daemons: list[Daemon], make_bad: Any
) -> None:
    first_pid = service.start()
    config = base_config(tmp_path, service)
    daemon = Daemon(tmp_path, config)
    daemons.append(daemon)
    daemon.start()
    assert daemon.proc is not None

    bad, message = make_bad(config)
    daemon.config_path.write_text(yaml.safe_dump(bad))
    daemon.proc.send_signal(signal.SIGHUP)
    failed = wait_for(lambda: daemon.events("reload_failed"), message="reload_failed")[0]
    assert message in failed["error"]
    assert not daemon.events("reloaded")
    assert not [line for line in daemon.lines() if "Traceback" in str(line) or "exception" in line]

    # The old engine still watches through its pidfd: a crash now is seen at once and healed.
    kill(first_pid)
    wait_for(lambda: daemon.events("check_event", check="svc_process"), message="death seen at once")
    wait_for(lambda: (p := service.pid()) != first_pid and p and service.healthy(), message="restarted")
    assert daemon.events("decision", signature=SIGNATURE, action="start_svc")
    assert daemon.stop() == 0

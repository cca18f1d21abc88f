"""`command` actions: argv without a shell, placeholders, timeouts, detached services."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

from mapekd.config.actions import CommandActionConfig
from mapekd.errors import ActionError
from mapekd.execute.actions.command import CommandAction
from mapekd.execute.base import ActionRequest

ENV = {"PATH": os.environ.get("PATH", "")}


def action(**cfg: object) -> CommandAction:
    return CommandAction(
        CommandActionConfig.model_validate({"name": "act", "type": "command", **cfg}), base_env=ENV
    )


def request(**params: str) -> ActionRequest:
    return ActionRequest(1, "r@t", "process:web", {"target": "process:web", **params})


async def test_runs_argv_without_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = await action(
        argv=[
            sys.executable,
            "-c",
            "import sys; print(sys.argv[1:])",
            "{target}",
            "$(touch " + str(marker) + ")",
            "; rm -rf /",
        ]
    ).run(request())
    assert result.state == "succeeded" and result.exit_code == 0
    assert "'process:web'" in result.output_tail and "'; rm -rf /'" in result.output_tail
    assert not marker.exists(), "something interpreted the argument as shell"


async def test_failure_keeps_exit_code_and_output_tail() -> None:
    result = await action(
        argv=[sys.executable, "-c", "import sys; print('x' * 5000 + 'END'); sys.exit(3)"]
    ).run(request())
    assert result.state == "failed" and result.exit_code == 3 and result.error == "exit code 3"
    assert result.output_tail.endswith("END\n") and len(result.output_tail) == 2000


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = (
        "import os, subprocess, sys, time; "
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pidfile)!r}, 'w').write(str(c.pid)); time.sleep(60)"
    )
    result = await action(argv=[sys.executable, "-c", script], timeout="1s").run(request())
    assert result.state == "timeout"
    child = int(pidfile.read_text())
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE


async def test_command_env_is_minimal_plus_its_own() -> None:
    os.environ["MAPEKD_TEST_SECRET"] = "do-not-leak"
    try:
        result = await action(
            argv=[sys.executable, "-c", "import os; print(sorted(os.environ))"], env={"EXTRA": "1"}
        ).run(request())
    finally:
        del os.environ["MAPEKD_TEST_SECRET"]
    assert "MAPEKD_TEST_SECRET" not in result.output_tail and "'EXTRA'" in result.output_tail


async def test_missing_placeholder_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(ActionError, match="placeholder"):
        await action(argv=["echo", "{pid}"]).run(request())


async def test_missing_executable_fails_cleanly() -> None:
    result = await action(argv=["/nonexistent/binary"]).run(request())
    assert result.state == "failed" and "cannot start" in (result.error or "")


async def test_detached_service_outlives_the_action(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    act = action(
        argv=[sys.executable, "-c", "import time; print('up', flush=True); time.sleep(30)"],
        detach=True,
        detach_grace="200ms",
        log_file=str(log),
    )
    result = await act.run(request())
    assert result.state == "succeeded"
    pid = int(result.output_tail.split()[-1])
    proc = psutil.Process(pid)
    try:
        assert proc.is_running() and os.getsid(pid) == pid, "not in its own session"
    finally:
        proc.kill()


async def test_detached_service_that_dies_at_once_fails() -> None:
    act = action(argv=[sys.executable, "-c", "raise SystemExit(4)"], detach=True, detach_grace="2s")
    result = await act.run(request())
    assert result.state == "failed" and result.exit_code == 4

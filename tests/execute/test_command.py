"""`command` actions: argv without a shell, placeholders, timeouts, detached services."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import psutil
import pytest

from mapekd.config.actions import CommandActionConfig
from mapekd.errors import ActionError
from mapekd.execute.actions.command import CommandAction, in_scope, scope_unit
from mapekd.execute.base import ActionRequest
from tests.conftest import wait_for

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
    # SIGKILL to the group is delivered asynchronously: give the kernel a moment, never a retry.
    wait_for(
        lambda: not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE,
        timeout=5,
        message="the grandchild killed with its group",
    )


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


# Detached services under systemd. No systemd runs as PID 1 here, so what systemd-run does (the
# scope, polkit's verdict, surviving a restart of mapekd.service) cannot be tested; what is tested:
# the exact argv, that the action really runs it when (and only when) it should, and that the
# service it starts is the argv after `--`.

SYSTEMD = {**ENV, "INVOCATION_ID": "0123456789abcdef0123456789abcdef"}
SERVICE = [sys.executable, "-c", "import os, time; print(sorted(os.environ), flush=True); time.sleep(30)"]


def test_scope_argv() -> None:
    unit = scope_unit("start_web", 12)
    assert in_scope(["/usr/bin/web", "--port", "80"], unit, systemd_run="/usr/bin/systemd-run") == [
        "/usr/bin/systemd-run",
        "--scope",
        "--unit=mapekd-start_web-12.scope",
        "--collect",
        "--quiet",
        "--no-ask-password",
        "--description=mapekd: mapekd-start_web-12",
        "--",
        "/usr/bin/web",
        "--port",
        "80",
    ]


def _fake_systemd_run(tmp_path: Path) -> tuple[Path, Path]:
    """Stands in for systemd-run: records its argv, then execs what follows `--`, as
    `systemd-run --scope` does once the scope exists."""
    record = tmp_path / "systemd-run.argv"
    script = tmp_path / "systemd-run"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        "i = sys.argv.index('--')\n"
        "os.execv(sys.argv[i + 1], sys.argv[i + 1:])\n"
    )
    script.chmod(0o755)
    return script, record


async def _start(tmp_path: Path, base_env: dict[str, str], **cfg: object) -> tuple[int, str, Path]:
    script, record = _fake_systemd_run(tmp_path)
    log = tmp_path / "svc.log"
    act = CommandAction(
        CommandActionConfig.model_validate(
            {
                "name": "start_web",
                "type": "command",
                "argv": SERVICE,
                "detach": True,
                "log_file": str(log),
                **cfg,
            }
        ),
        base_env=base_env,
        systemd_run=str(script),
    )
    result = await act.run(request())
    assert result.state == "succeeded", result.error
    pid = int(result.output_tail.split()[2])
    return pid, result.output_tail, record


async def test_under_systemd_a_detached_service_starts_through_systemd_run(tmp_path: Path) -> None:
    pid, output, record = await _start(tmp_path, SYSTEMD, detach_grace="300ms")
    proc = psutil.Process(pid)
    try:
        assert json.loads(record.read_text()) == [
            *in_scope([], "mapekd-start_web-1.scope", systemd_run="")[1:],
            *SERVICE,
        ]
        assert output == f"started pid {pid} in mapekd-start_web-1.scope"
        assert proc.cmdline() == SERVICE, "the service is the argv after --, exec'd in place"
        assert os.getsid(pid) == pid
        environ = wait_for(lambda: (tmp_path / "svc.log").read_text(), message="the service's environment")
        assert "'PATH'" in environ and "INVOCATION_ID" not in environ, "the daemon's invocation id leaked"
    finally:
        proc.kill()


@pytest.mark.parametrize(
    ("base_env", "cfg"),
    [
        (ENV, {}),  # not under systemd: its own session, as always
        (SYSTEMD, {"transient_scope": False}),  # under systemd, kept in mapekd's cgroup on request
    ],
)
async def test_otherwise_systemd_run_is_not_used(
    tmp_path: Path, base_env: dict[str, str], cfg: dict[str, object]
) -> None:
    pid, output, record = await _start(tmp_path, base_env, detach_grace="300ms", **cfg)
    try:
        assert not record.exists() and output == f"started pid {pid}"
        assert os.getsid(pid) == pid
    finally:
        psutil.Process(pid).kill()


async def test_commands_run_to_completion_never_go_through_systemd_run(tmp_path: Path) -> None:
    script, record = _fake_systemd_run(tmp_path)
    act = CommandAction(
        CommandActionConfig.model_validate(
            {
                "name": "act",
                "type": "command",
                "argv": [sys.executable, "-c", "import os; print(sorted(os.environ))"],
            }
        ),
        base_env=SYSTEMD,
        systemd_run=str(script),
    )
    result = await act.run(request())
    assert result.state == "succeeded" and not record.exists()
    assert "INVOCATION_ID" not in result.output_tail


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True

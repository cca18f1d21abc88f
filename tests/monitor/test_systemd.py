"""SystemdCheck: parsing through a fake systemctl, and the real 'no systemd here' path."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from mapekd.monitor.systemd import SYSTEMD_RUNTIME_DIR, SystemdCheck

from .conftest import wait_until

UNITS = {
    "web.service": {
        "ActiveState": "active",
        "SubState": "running",
        "LoadState": "loaded",
        "NRestarts": "0",
        "MainPID": "4242",
    },
    "db.service": {
        "ActiveState": "failed",
        "SubState": "failed",
        "LoadState": "loaded",
        "NRestarts": "3",
        "MainPID": "0",
    },
}


def fake_systemctl(tmp_path: Path, body: str) -> str:
    """An executable Python script standing in for systemctl; `argv` is its argument list."""
    script = tmp_path / "systemctl"
    prelude = f"#!{sys.executable}\nimport json, os, sys, time\nargv = sys.argv[1:]\n"
    script.write_text(prelude + textwrap.dedent(body))
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def systemctl(tmp_path: Path) -> str:
    units, calls = json.dumps(UNITS), tmp_path / "calls"
    return fake_systemctl(
        tmp_path,
        f"""
        with open({str(calls)!r}, "a") as log:
            log.write(json.dumps(argv) + "\\n")
        for key, value in json.loads({units!r})[argv[-1]].items():
            print(f"{{key}}={{value}}")
    """,
    )


async def test_show_output_becomes_one_sample_per_unit(systemctl: str, tmp_path: Path) -> None:
    check = SystemdCheck("units", ["web.service", "db.service"], systemctl=systemctl)

    web, db = await check.collect()

    assert web.target == "systemd:web.service"
    assert web.fields == {
        "ok": True,
        "available": True,
        "active_state": "active",
        "sub_state": "running",
        "load_state": "loaded",
        "n_restarts": 0,
        "main_pid": 4242,
        "error": None,
    }
    assert db.target == "systemd:db.service"
    assert not db.ok and db.fields["active_state"] == "failed"
    assert db.fields["n_restarts"] == 3 and db.fields["main_pid"] is None


async def test_systemctl_is_called_with_a_fixed_argv(systemctl: str, tmp_path: Path) -> None:
    await SystemdCheck("units", ["web.service"], systemctl=systemctl).collect()

    [argv] = [json.loads(line) for line in (tmp_path / "calls").read_text().splitlines()]
    assert argv == [
        "show",
        "--property=ActiveState,SubState,LoadState,NRestarts,MainPID",
        "--no-pager",
        "--",
        "web.service",
    ]


async def test_systemctl_failing_while_systemd_runs_is_an_error(tmp_path: Path) -> None:
    failing = fake_systemctl(
        tmp_path,
        """
        print("Failed to connect to bus: Permission denied", file=sys.stderr)
        sys.exit(1)
    """,
    )
    check = SystemdCheck("units", ["web.service"], systemctl=failing, runtime_dir=str(tmp_path))

    [sample] = await check.collect()

    assert not sample.ok and "available" not in sample.fields
    assert sample.error == "systemctl exited with 1: Failed to connect to bus: Permission denied"


async def test_systemctl_failing_without_systemd_is_unavailable(tmp_path: Path) -> None:
    failing = fake_systemctl(tmp_path, "sys.exit(1)\n")
    check = SystemdCheck("units", ["web.service"], systemctl=failing, runtime_dir=str(tmp_path / "absent"))

    [sample] = await check.collect()

    assert sample.fields["available"] is False
    assert sample.fields["active_state"] == "unavailable"


async def test_a_missing_systemctl_is_unavailable(tmp_path: Path) -> None:
    check = SystemdCheck("units", ["web.service"], systemctl=str(tmp_path / "no-systemctl"))

    [sample] = await check.collect()

    assert sample.fields["available"] is False and not sample.ok
    assert "was not found" in (sample.error or "")


@pytest.mark.skipif(os.path.isdir(SYSTEMD_RUNTIME_DIR), reason="systemd runs on this host")
async def test_on_a_host_without_systemd_units_are_unavailable() -> None:
    [sample] = await SystemdCheck("units", ["ssh.service"]).collect()  # the real systemctl

    assert sample.target == "systemd:ssh.service"
    assert sample.fields["available"] is False
    assert sample.fields["active_state"] == "unavailable"
    assert not sample.ok and sample.error


async def test_a_hanging_systemctl_times_out_and_is_killed(tmp_path: Path) -> None:
    pidfile, hanging = tmp_path / "hanging.pid", tmp_path / "systemctl"
    # A shell script: it starts in a millisecond, so a short timeout still finds it running.
    hanging.write_text(f"#!/bin/sh\necho $$ > '{pidfile}'\nexec sleep 60\n")
    hanging.chmod(0o755)
    check = SystemdCheck("units", ["web.service"], systemctl=str(hanging), timeout=0.5)

    [sample] = await check.collect()

    assert not sample.ok and (sample.error or "").startswith("TimeoutError")
    pid = int(pidfile.read_text())
    wait_until(lambda: not psutil.pid_exists(pid))

"""systemctl and systemd-run come from the system directories, found when the action is built:
a look-alike first on PATH is never run, and a host without them gets a clear failure."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mapekd.binaries import SYSTEM_DIRS
from mapekd.config.actions import CommandActionConfig, SystemdActionConfig
from mapekd.execute.actions.command import CommandAction
from mapekd.execute.actions.systemd import SystemdAction
from mapekd.execute.base import ActionRequest

UNIT = "mapekd-test-absent.service"
SYSTEMD_ENV = {"INVOCATION_ID": "0123456789abcdef0123456789abcdef"}


def impostors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """systemctl and systemd-run look-alikes first on PATH, recording that they ran."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "impostor-ran"
    for name in ("systemctl", "systemd-run"):
        script = bin_dir / name
        script.write_text(f"#!{sys.executable}\nopen({str(marker)!r}, 'a').write('{name}\\n')\n")
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return marker


def systemd_action(**kwargs: object) -> SystemdAction:
    config = SystemdActionConfig.model_validate(
        {"name": "restart", "type": "systemd", "verb": "restart", "units": [UNIT]}
    )
    return SystemdAction(config, base_env={"PATH": os.environ["PATH"]}, **kwargs)  # type: ignore[arg-type]


def scope_action(**kwargs: object) -> CommandAction:
    config = CommandActionConfig.model_validate(
        {"name": "start", "type": "command", "argv": ["true"], "detach": True, "detach_grace": "200ms"}
    )
    return CommandAction(config, base_env={"PATH": os.environ["PATH"], **SYSTEMD_ENV}, **kwargs)  # type: ignore[arg-type]


async def test_systemctl_on_path_is_never_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = impostors(tmp_path, monkeypatch)
    act = systemd_action()
    if act.systemctl is not None:
        assert os.path.dirname(act.systemctl) in SYSTEM_DIRS
    await act.run(ActionRequest(1, "s", f"systemd:{UNIT}"))
    assert not marker.exists(), "the systemctl first on PATH ran"


async def test_systemd_run_on_path_is_never_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = impostors(tmp_path, monkeypatch)
    act = scope_action()
    assert act.uses_scope
    if act.systemd_run is not None:
        assert os.path.dirname(act.systemd_run) in SYSTEM_DIRS
    await act.run(ActionRequest(1, "s", "process:web"))
    assert not marker.exists(), "the systemd-run first on PATH ran"


async def test_without_systemd_the_run_fails_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = impostors(tmp_path, monkeypatch)
    empty = (str(tmp_path / "nowhere"),)
    result = await systemd_action(search=empty).run(ActionRequest(1, "s", f"systemd:{UNIT}"))
    assert result.state == "failed" and (result.error or "").startswith("systemctl is not installed")
    result = await scope_action(search=empty).run(ActionRequest(1, "s", "process:web"))
    assert result.state == "failed" and (result.error or "").startswith("systemd-run is not installed")
    assert not marker.exists()

"""`systemd` actions: the verb on an allowlisted unit only, through systemctl's argv."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from mapekd.config.actions import SystemdActionConfig
from mapekd.errors import ActionError
from mapekd.execute.actions.systemd import SystemdAction
from mapekd.execute.base import ActionRequest


def fake_systemctl(tmp_path: Path, state: str = "ActiveState=failed\nSubState=failed") -> str:
    """A stand-in for systemctl (systemd does not run here): answers `show` with `state` and
    records the argv of every other verb."""
    script = tmp_path / "systemctl"
    record = str(tmp_path / "argv")
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"if sys.argv[1] == 'show':\n    print({state!r})\n"
        f"else:\n    open({record!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def make(tmp_path: Path, units: list[str], any_target: bool = False, **state: str) -> SystemdAction:
    config = SystemdActionConfig(
        name="restart",
        type="systemd",
        verb="restart",
        units=units,  # type: ignore[arg-type]
        any_target=any_target,
    )
    return SystemdAction(
        config, base_env={"PATH": os.environ["PATH"]}, systemctl=fake_systemctl(tmp_path, **state)
    )


async def test_restarts_the_allowlisted_unit_of_the_target(tmp_path: Path) -> None:
    act = make(tmp_path, ["nginx.service", "php-fpm.service"])
    assert act.applies_to("systemd:nginx.service")
    result = await act.run(ActionRequest(1, "s", "systemd:nginx.service"))
    assert result.state == "succeeded"
    assert (tmp_path / "argv").read_text() == "restart --no-ask-password -- nginx.service\n"


async def test_refuses_units_outside_the_allowlist(tmp_path: Path) -> None:
    act = make(tmp_path, ["nginx.service"])
    assert not act.applies_to("systemd:sshd.service")
    assert not act.applies_to("systemd:-evil.service; rm")
    with pytest.raises(ActionError):
        await act.run(ActionRequest(1, "s", "systemd:sshd.service"))
    assert not (tmp_path / "argv").exists()


async def test_a_single_unit_serves_other_targets_only_where_the_config_says_so(tmp_path: Path) -> None:
    assert not make(tmp_path, ["web.service"]).applies_to("http:web_health")
    assert not make(tmp_path, ["web.service"]).applies_to("alert:WebDown/0123abcd")
    act = make(tmp_path, ["web.service"], any_target=True)
    assert act.applies_to("http:web_health")
    assert not make(tmp_path, ["a.service", "b.service"], any_target=True).applies_to("http:web_health")


async def test_its_effect_is_the_unit_it_acts_on_whatever_the_target(tmp_path: Path) -> None:
    act = make(tmp_path, ["web.service", "db.service"], any_target=False)
    assert act.effect_of("systemd:web.service") == "restart@web.service"
    assert act.effect_of("systemd:db.service") == "restart@db.service"
    one = make(tmp_path, ["web.service"], any_target=True)
    assert one.effect_of("http:web_health") == one.effect_of("alert:WebDown/1") == "restart@web.service"


async def test_does_not_race_systemds_own_restart(tmp_path: Path) -> None:
    act = make(tmp_path, ["nginx.service"], state="ActiveState=activating\nSubState=auto-restart")
    result = await act.run(ActionRequest(1, "s", "systemd:nginx.service"))
    assert result.state == "succeeded" and "not racing" in result.output_tail
    assert not (tmp_path / "argv").exists(), "restart was issued while systemd was restarting"

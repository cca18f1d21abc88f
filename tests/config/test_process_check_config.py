"""Process check configuration: the matchers that may combine, and signal actions that need a
check identifying its process by more than a pidfile."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError

SIGNAL = "actions:\n  - name: k\n    type: signal\n    check: p\n"


def _load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    load_settings(path)


def test_a_signal_on_a_pidfile_only_check_is_refused_naming_the_action(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, SIGNAL + "checks:\n  - name: p\n    type: process\n    pidfile: /run/p.pid\n")
    assert info.value.path == "actions[0].check" and "pidfile only" in info.value.message


@pytest.mark.parametrize(
    "verified_by",
    ["match_name: web", "cmdline: 'gunicorn app'", "user: www-data", "user: 33"],
)
def test_a_signal_on_a_pidfile_check_verified_otherwise_is_accepted(tmp_path: Path, verified_by: str) -> None:
    _load(
        tmp_path,
        SIGNAL + f"checks:\n  - name: p\n    type: process\n    pidfile: /run/p.pid\n    {verified_by}\n",
    )


def test_a_signal_on_a_unit_check_is_accepted(tmp_path: Path) -> None:
    _load(tmp_path, SIGNAL + "checks:\n  - name: p\n    type: process\n    unit: web.service\n")


@pytest.mark.parametrize(
    ("matchers", "message"),
    [
        ("pidfile: /run/p.pid\n    unit: web.service", "pidfile and unit exclude each other"),
        ("user: root", "one of match_name, cmdline, pidfile or unit is required"),
        ("unit: 'not a unit'", "unit"),
    ],
)
def test_matchers_that_cannot_combine_are_refused(tmp_path: Path, matchers: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, f"checks:\n  - name: p\n    type: process\n    {matchers}\n")
    assert info.value.path.startswith("checks[0]") and message in str(info.value)

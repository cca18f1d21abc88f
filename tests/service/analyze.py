"""systemd-analyze, as the tests of the unit and of `make install` use it."""

from __future__ import annotations

import re
import subprocess

MAX_EXPOSURE = 2.5
_EXPOSURE = re.compile(r"Overall exposure level for mapekd\.service: (\d+\.\d+)")


def systemd_analyze(*args: str) -> subprocess.CompletedProcess[str]:
    # systemd-analyze is Debian's (package systemd, installed by .ci/run); no systemd runs as PID 1
    # here, which `verify` and `security --offline=yes` do not need.
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, timeout=120)


def exposure(*args: str) -> float:
    result = systemd_analyze("security", "--offline=yes", "--no-pager", *args)
    match = _EXPOSURE.search(result.stdout + result.stderr)
    assert match, result.stdout + result.stderr
    return float(match.group(1))


def settings(unit_text: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in unit_text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values

"""The MainPID of a systemd unit, asked of systemctl (psutil knows nothing of units).

systemctl is run by an absolute path found once when the check is built, never through a shell
or PATH, with a time limit. Where systemd is not running the answer is an error (the check's
state `unknown`), never a pid of 0: "no unit manager" must not read as "the service is dead".
"""

from __future__ import annotations

import os
import subprocess

from mapekd.binaries import not_installed
from mapekd.errors import CheckError

SYSTEMD_RUNTIME_DIR = "/run/systemd/system"
"""Exists exactly when systemd is the running init (sd_booted(3))."""
MAX_OUTPUT_CHARS = 300


def main_pid(systemctl: str | None, unit: str, timeout: float) -> int:
    """The unit's MainPID now (0: the unit runs no process). Raises CheckError."""
    if systemctl is None:
        raise CheckError(f"unit {unit}: {not_installed('systemctl')}")
    if not os.path.isdir(SYSTEMD_RUNTIME_DIR):
        raise CheckError(f"unit {unit}: systemd is not running on this host (no {SYSTEMD_RUNTIME_DIR})")
    argv = [systemctl, "show", "--property=MainPID", "--value", "--", unit]
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, env={"LC_ALL": "C"}
        )
    except subprocess.TimeoutExpired as exc:
        raise CheckError(f"unit {unit}: systemctl gave no answer within {timeout:g}s") from exc
    except OSError as exc:
        raise CheckError(f"unit {unit}: systemctl: {exc.strerror or type(exc).__name__}") from exc
    answer = done.stdout.decode(errors="replace").strip()
    if done.returncode != 0 or not answer.isdigit():
        why = done.stderr.decode(errors="replace").strip() or answer or f"exit {done.returncode}"
        raise CheckError(f"unit {unit}: systemctl: {why[:MAX_OUTPUT_CHARS]}")
    return int(answer)

"""systemd's own verdict on a unit: how its main process ended and what systemd made of it.

`systemctl show UNIT -p Result -p ExecMainCode -p ExecMainStatus -p NRestarts -p ActiveState
-p SubState` (argv, the gatherer's deadline) becomes one item such as `Result=oom-kill
ExecMainCode=killed ExecMainStatus=9/KILL NRestarts=3 ActiveState=failed SubState=failed`.
Result names the cause systemd saw: success, exit-code, signal, core-dump, oom-kill, timeout,
watchdog, start-limit-hit, resources. Where systemd is not the init system there is no verdict:
the gatherer returns nothing and says why at debug level.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mapekd.binaries import system_binary
from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.command import run_tool
from mapekd.evidence.exits import signal_name
from mapekd.evidence.journal import unit_of
from mapekd.monitor.systemd import SYSTEMD_RUNTIME_DIR

log = logging.getLogger("mapekd.evidence")

PROPERTIES = ("Result", "ExecMainCode", "ExecMainStatus", "NRestarts", "ActiveState", "SubState")
OUTPUT_CAP = 4096
_CODES = {"1": "exited", "2": "killed", "3": "dumped", "4": "trapped", "5": "stopped", "6": "continued"}
"""ExecMainCode is a siginfo si_code (CLD_*): how the main process ended."""


class VerdictGatherer:
    kind: EvidenceKind = "verdict"

    def __init__(
        self, unit: str | None = None, *, systemctl: str | None = None, runtime_dir: str = SYSTEMD_RUNTIME_DIR
    ) -> None:
        self.unit = unit
        """The unit asked about; None: the one the incident's target names (`systemd:UNIT`)."""
        self.systemctl = systemctl or system_binary("systemctl")
        self.runtime_dir = Path(runtime_dir)

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        unit = self.unit or unit_of(request.target)
        if unit is None:
            log.debug("no verdict for %s: it names no unit", request.target)
            return []
        if not self.runtime_dir.is_dir():
            log.debug("no verdict for %s: systemd is not the init system of this host", unit)
            return []
        if self.systemctl is None:
            log.debug("no verdict for %s: systemctl is not installed", unit)
            return []
        argv = [self.systemctl, "show", *(f"--property={p}" for p in PROPERTIES), "--", unit]
        out = run_tool(argv, timeout=request.deadline_s, max_bytes=OUTPUT_CAP)
        if not out.ok:
            log.debug("no verdict for %s: %s", unit, out.error or f"exit {out.code}: {out.stderr}")
            return []
        text = verdict_text(out.stdout.decode("utf-8", "replace"))
        return [EvidenceItem("verdict", unit, text, time.time())] if text else []


def verdict_text(show_output: str) -> str:
    """`Key=Value` lines of `systemctl show` as one line in PROPERTIES order, ExecMainCode by
    name and a signal's name beside its number; empty values and unknown keys left out."""
    values = dict(line.split("=", 1) for line in show_output.splitlines() if "=" in line)
    code = values.get("ExecMainCode", "")
    if code in _CODES:
        values["ExecMainCode"] = _CODES[code]
    status = values.get("ExecMainStatus", "")
    if code in ("2", "3") and status.isdigit():
        values["ExecMainStatus"] = f"{status}/{signal_name(int(status))}"
    return " ".join(f"{key}={values[key]}" for key in PROPERTIES if values.get(key, "").strip())

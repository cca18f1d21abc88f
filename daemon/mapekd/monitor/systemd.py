"""`type: systemd`: the state of systemd units, as `systemctl show` reports it.

One sample per unit, target `systemd:<unit>`; fields: ok (ActiveState is `active`), available,
active_state, sub_state, load_state (`not-found` for a unit systemd does not know), n_restarts
(systemd's own restart counter, reset by `systemctl reset-failed` or a manual start), main_pid
(None when the unit has no main process), error.

On a host where systemd is not the init system the sample says so instead of failing:
available false, active_state `unavailable`, ok false, and an error explaining why.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from mapekd.binaries import not_installed, system_binary
from mapekd.config.checks import CheckBase, SystemdCheckConfig
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import require_config

if TYPE_CHECKING:
    from mapekd.shared_http import SharedHttp

PROPERTIES = ("ActiveState", "SubState", "LoadState", "NRestarts", "MainPID")
SYSTEMD_RUNTIME_DIR = "/run/systemd/system"
"""Exists exactly when systemd is the running init system (what sd_booted() tests)."""

_NOT_BOOTED = "systemd is not the init system of this host, so units cannot be queried"


class SystemdCheck:
    def __init__(
        self,
        name: str,
        units: list[str],
        *,
        timeout: float = 5.0,
        systemctl: str | None = "systemctl",
        runtime_dir: str = SYSTEMD_RUNTIME_DIR,
    ) -> None:
        self.name = name
        self.targets = tuple(f"systemd:{unit}" for unit in units)
        self._units = list(units)
        self._timeout = timeout
        self._systemctl = systemctl
        self._runtime_dir = Path(runtime_dir)

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> SystemdCheck:
        cfg = require_config(config, SystemdCheckConfig)
        # From the system directories, never PATH (see execute/binaries.py); None: not installed.
        return cls(cfg.name, cfg.units, timeout=cfg.timeout, systemctl=system_binary("systemctl"))

    async def collect(self) -> list[Sample]:
        return list(await asyncio.gather(*(self._unit_sample(unit) for unit in self._units)))

    async def _unit_sample(self, unit: str) -> Sample:
        target = f"systemd:{unit}"
        if self._systemctl is None:
            return _unavailable(self.name, target, not_installed("systemctl"))
        try:
            code, out, err = await self._show(unit)
        except FileNotFoundError:
            return _unavailable(self.name, target, f"{self._systemctl} was not found")
        except TimeoutError:
            error = f"TimeoutError: systemctl show {unit} took longer than {self._timeout:g}s"
            return Sample.failed(self.name, target, error)
        except OSError as exc:
            return Sample.failed(self.name, target, f"{type(exc).__name__}: {exc.strerror}")
        if code == 0:
            return Sample(self.name, target, parse_show(out))
        # systemctl fails the same way for many reasons; systemd missing is told by the
        # runtime directory, not by the wording of its message.
        if not self._runtime_dir.is_dir():
            return _unavailable(self.name, target, _NOT_BOOTED)
        return Sample.failed(self.name, target, f"systemctl exited with {code}: {_last_line(err)}")

    async def _show(self, unit: str) -> tuple[int, str, str]:
        """Run `systemctl show` (no shell; `--` so a unit name can never be read as an option)."""
        assert self._systemctl is not None
        proc = await asyncio.create_subprocess_exec(
            self._systemctl,
            "show",
            f"--property={','.join(PROPERTIES)}",
            "--no-pager",
            "--",
            unit,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(self._timeout):
                out, err = await proc.communicate()
        finally:
            if proc.returncode is None:  # timed out or cancelled: never leave it running
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        code = proc.returncode if proc.returncode is not None else -1
        return code, out.decode(errors="replace"), err.decode(errors="replace")


def parse_show(text: str) -> dict[str, FieldValue]:
    """Fields from `systemctl show` output: one `Key=Value` a line."""
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    active_state = values.get("ActiveState") or None
    main_pid = _int_or_none(values.get("MainPID"))
    return {
        "ok": active_state == "active",
        "available": True,
        "active_state": active_state,
        "sub_state": values.get("SubState") or None,
        "load_state": values.get("LoadState") or None,
        "n_restarts": _int_or_none(values.get("NRestarts")),  # `[not set]` on old systemd
        "main_pid": main_pid or None,  # 0: no main process
        "error": None if active_state else "systemctl show reported no ActiveState",
    }


def _unavailable(check: str, target: str, why: str) -> Sample:
    fields: dict[str, FieldValue] = {
        "ok": False,
        "available": False,
        "active_state": "unavailable",
        "sub_state": None,
        "load_state": None,
        "n_restarts": None,
        "main_pid": None,
        "error": why,
    }
    return Sample(check, target, fields)


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"

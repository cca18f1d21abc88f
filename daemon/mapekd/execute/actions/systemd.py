"""`systemd`: systemctl restart/start/stop/reload on an allowlisted unit.

systemctl is found once, when the action is built, in the system directories (never on PATH).
On a host without it the action is still built (one configuration can serve hosts with and
without systemd) and each run fails with an error saying systemctl is not installed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mapekd.binaries import SYSTEM_DIRS, not_installed, system_binary
from mapekd.config.actions import SystemdActionConfig
from mapekd.errors import ActionError
from mapekd.execute.base import ActionRequest, ExecResult
from mapekd.execute.params import unit_of
from mapekd.execute.proc import run_to_completion


class SystemdAction:
    def __init__(
        self,
        config: SystemdActionConfig,
        *,
        base_env: Mapping[str, str],
        systemctl: str | None = None,
        search: Sequence[str] = SYSTEM_DIRS,
    ) -> None:
        """`systemctl`: its absolute path; None: found in `search` now."""
        self.config = config
        self.name = config.name
        self.env = dict(base_env)
        self.systemctl = systemctl or system_binary("systemctl", search)
        self._search = search

    def applies_to(self, target: str) -> bool:
        return self._unit(target) is not None

    def effect_of(self, target: str) -> str:
        return f"{self.name}@{self._unit(target)}"

    def _unit(self, target: str) -> str | None:
        """The unit to act on: the target's own unit if allowlisted; for a target that is not a
        unit (e.g. an HTTP check), the allowlist's only unit where `any_target` says so."""
        try:
            unit = unit_of(target)
        except ActionError:
            return None
        if unit is None and len(self.config.units) == 1 and self.config.any_target:
            return self.config.units[0]
        return unit if unit in self.config.units else None

    async def run(self, request: ActionRequest) -> ExecResult:
        unit = self._unit(request.target)
        if unit is None:
            raise ActionError(f"{request.target!r} is not an allowlisted unit of {self.name}")
        systemctl = self.systemctl
        if systemctl is None:
            return ExecResult("failed", 0.0, error=not_installed("systemctl", self._search))
        if self.config.verb in ("restart", "start") and await self._already_restarting(systemctl, unit):
            return ExecResult(
                "succeeded",
                0.0,
                output_tail=f"{unit} is already being restarted by systemd (Restart=); not racing it",
            )
        argv = [systemctl, self.config.verb, "--no-ask-password", "--", unit]
        return await run_to_completion(argv, timeout=self.config.timeout, env=self.env)

    async def _already_restarting(self, systemctl: str, unit: str) -> bool:
        """A unit with Restart= in its auto-restart or activating state is systemd's to heal."""
        argv = [systemctl, "show", "--property=ActiveState,SubState", "--no-pager", "--", unit]
        result = await run_to_completion(argv, timeout=min(self.config.timeout, 5.0), env=self.env)
        if result.state != "succeeded":
            return False
        props = dict(line.split("=", 1) for line in result.output_tail.splitlines() if "=" in line)
        return props.get("SubState") == "auto-restart" or props.get("ActiveState") == "activating"

"""`command`: a configured argv, run without a shell; optionally a detached long-running service.

Under systemd (the daemon's environment has INVOCATION_ID) a detached service is started in a
transient scope of its own through `systemd-run --scope`: systemd-run moves itself into the new
scope and then execs the argv, so the service is outside mapekd's cgroup (a restart of mapekd does
not touch it), still runs as mapekd's user under the same sandbox, keeps the environment and
log file given here, and stays mapekd's child for the grace period that tells whether it started.
A scope rather than a service unit: polkit cannot see a transient unit's properties, so allowing
the daemon transient *service* units would let it run anything as root. systemd-run is found once,
when the action is built, in the system directories (never on PATH); where it is missing, a run
that needs it fails saying so."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence

from mapekd.binaries import SYSTEM_DIRS, not_installed, system_binary
from mapekd.config.actions import CommandActionConfig
from mapekd.execute.base import ActionRequest, ExecResult
from mapekd.execute.params import fill
from mapekd.execute.proc import run_to_completion, start_detached

TARGET_PLACEHOLDERS = frozenset({"target", "unit", "pid"})
"""Placeholders whose value is the incident's target (or derived from it)."""
UNDER_SYSTEMD = "INVOCATION_ID"
"""Set by systemd for every process it starts as a unit; it reaches us in the base environment."""


def scope_unit(action: str, incident_id: int) -> str:
    return f"mapekd-{action}-{incident_id}.scope"


def in_scope(argv: list[str], unit: str, *, systemd_run: str) -> list[str]:
    """`argv` started by systemd-run in the transient scope `unit` (collected once it ends)."""
    return [
        systemd_run,
        "--scope",
        f"--unit={unit}",
        "--collect",
        "--quiet",
        "--no-ask-password",
        f"--description=mapekd: {unit.removesuffix('.scope')}",
        "--",
        *argv,
    ]


class CommandAction:
    def __init__(
        self,
        config: CommandActionConfig,
        *,
        base_env: Mapping[str, str],
        systemd_run: str | None = None,
        search: Sequence[str] = SYSTEM_DIRS,
    ) -> None:
        """`systemd_run`: its absolute path; None: found in `search` now."""
        self.config = config
        self.name = config.name
        self.systemd_run = systemd_run or system_binary("systemd-run", search)
        self._search = search
        self.under_systemd = UNDER_SYSTEMD in base_env
        # Commands see a minimal environment plus their own: the daemon's secrets stay home. The
        # daemon's invocation id is not theirs.
        inherited = {k: v for k, v in base_env.items() if k != UNDER_SYSTEMD}
        self.env = {**inherited, **{k: v.get_secret_value() for k, v in config.env.items()}}
        self._names_target = any(
            name in TARGET_PLACEHOLDERS
            for arg in config.argv
            for _, name, _, _ in string.Formatter().parse(arg)
        )

    @property
    def uses_scope(self) -> bool:
        return self.config.detach and self.config.transient_scope and self.under_systemd

    def applies_to(self, target: str) -> bool:
        return True

    def effect_of(self, target: str) -> str:
        # Only an argv that names the target acts on something of the target's own; any other
        # command does the same thing whichever incident asked for it.
        return f"{self.name}@{target}" if self._names_target else self.name

    async def run(self, request: ActionRequest) -> ExecResult:
        argv = fill(self.config.argv, request.params)
        if not self.config.detach:
            return await run_to_completion(
                argv, timeout=self.config.timeout, cwd=self.config.cwd, env=self.env
            )
        unit = scope_unit(self.name, request.incident_id) if self.uses_scope else None
        if unit is not None:
            if self.systemd_run is None:
                return ExecResult("failed", 0.0, error=not_installed("systemd-run", self._search))
            argv = in_scope(argv, unit, systemd_run=self.systemd_run)
        return await start_detached(
            argv,
            grace=self.config.detach_grace,
            cwd=self.config.cwd,
            env=self.env,
            log_file=self.config.log_file,
            unit=unit,
        )

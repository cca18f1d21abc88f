"""`command`: a configured argv, run without a shell; optionally a detached long-running service."""

from __future__ import annotations

from collections.abc import Mapping

from mapekd.config.actions import CommandActionConfig
from mapekd.execute.base import ActionRequest, ExecResult
from mapekd.execute.params import fill
from mapekd.execute.proc import run_to_completion, start_detached


class CommandAction:
    def __init__(self, config: CommandActionConfig, *, base_env: Mapping[str, str]) -> None:
        self.config = config
        self.name = config.name
        # Commands see a minimal environment plus their own: the daemon's secrets stay home.
        self.env = {**base_env, **{k: v.get_secret_value() for k, v in config.env.items()}}

    def applies_to(self, target: str) -> bool:
        return True

    async def run(self, request: ActionRequest) -> ExecResult:
        argv = fill(self.config.argv, request.params)
        if self.config.detach:
            return await start_detached(
                argv,
                grace=self.config.detach_grace,
                cwd=self.config.cwd,
                env=self.env,
                log_file=self.config.log_file,
            )
        return await run_to_completion(argv, timeout=self.config.timeout, cwd=self.config.cwd, env=self.env)

"""`type: program`: run a program (Monit's `check program`) and judge its exit status and output.

Target `program:<check name>`; fields: ok, error, exit_code, output_match, duration_ms, output.
It runs as a `command` action's argv does (execute.proc): no shell, argv[0] an absolute path,
stdin /dev/null, stdout and stderr into one pipe read with a byte cap, exactly fds 0-2, a session
of its own, and a minimal environment: PATH of the system directories and LANG, plus the check's
own `env` (the daemon's environment, and its secrets, stay home). Past `timeout` its process group
is killed: ok false, exit_code null, error says so.
ok: the exit status is in `expect_status` and, with `output_regex`, the regex matches the output
(its last 2000 characters). `output` is the last OUTPUT_FIELD_CHARS characters, for people.

A program check is a check, not an action: it is never among the candidates an incident's
remedy is chosen from (by rule, knowledge or the LLM).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mapekd.binaries import SYSTEM_DIRS
from mapekd.config.checks_monit import ProgramCheckConfig
from mapekd.execute.proc import run_to_completion
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import require_config

if TYPE_CHECKING:
    from mapekd.config.check_base import CheckBase
    from mapekd.shared_http import SharedHttp

OUTPUT_FIELD_CHARS = 256
MINIMAL_ENV = {"PATH": ":".join(SYSTEM_DIRS), "LANG": "C.UTF-8"}


class ProgramCheck:
    def __init__(self, config: ProgramCheckConfig) -> None:
        self.name = config.name
        self.targets = (f"program:{config.name}",)
        self._cfg = config
        self._expect = frozenset(config.expect_status)
        self._pattern = re.compile(config.output_regex) if config.output_regex else None
        self._env = {**MINIMAL_ENV, **{k: v.get_secret_value() for k, v in config.env.items()}}

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> ProgramCheck:
        return cls(require_config(config, ProgramCheckConfig))

    async def collect(self) -> list[Sample]:
        result = await run_to_completion(
            list(self._cfg.argv), timeout=self._cfg.timeout, cwd=self._cfg.cwd, env=self._env
        )
        output = result.output_tail
        matched = None if self._pattern is None else self._pattern.search(output) is not None
        error = None
        if result.state == "timeout" or result.exit_code is None:  # killed, or could not start
            error = self._masked(result.error or "did not run")
        fields: dict[str, FieldValue] = {
            "ok": error is None and result.exit_code in self._expect and matched is not False,
            "error": error,
            "exit_code": result.exit_code if result.state != "timeout" else None,
            "output_match": matched,
            "duration_ms": result.duration_ms,
            "output": self._masked(output[-OUTPUT_FIELD_CHARS:]),
        }
        return [Sample(self.name, self.targets[0], fields)]

    def _masked(self, text: str) -> str:
        """`text` without the values of `env`: they are secrets, and a program may echo them."""
        for value in self._cfg.env.values():
            if secret := value.get_secret_value():
                text = text.replace(secret, "***")
        return text

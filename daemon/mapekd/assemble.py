"""The build step: from validated Settings to the checks, rules and actions of an engine.

Some errors only show while building (an invalid `body_regex`, Prometheus fields that clash).
`check-config`, `run` and a SIGHUP reload all go through `assemble`, so what `check-config`
accepts is exactly what `run` accepts; errors name the item by its index in the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from mapekd.analyze.rules.base import Rule
from mapekd.analyze.rules.registry import build_rule
from mapekd.config.settings import Settings
from mapekd.errors import ConfigError
from mapekd.evidence.exits import ExitBook
from mapekd.execute.base import Action
from mapekd.execute.registry import ActionDeps, build_action
from mapekd.monitor.base import Check, ProcessSource
from mapekd.monitor.identity import ObservedProcess
from mapekd.monitor.proctable import ProcessTable
from mapekd.monitor.registry import build_check
from mapekd.shared_http import SharedHttp


@dataclass
class Components:
    checks: dict[str, Check]
    rules: list[Rule]
    actions: dict[str, Action]
    table: ProcessTable
    """The process-table scan shared by the process checks, taken once per cycle."""
    exits: ExitBook
    """The deaths the process checks saw, with their exit status (the daemon's, across reloads)."""

    def observed_of(self, check_name: str) -> list[ObservedProcess]:
        check = self.checks[check_name]  # config validation guarantees a process check
        return check.observed() if isinstance(check, ProcessSource) else []


def assemble(
    settings: Settings, *, http: SharedHttp, base_env: Mapping[str, str], exits: ExitBook | None = None
) -> Components:
    """Build everything the settings describe, or raise ConfigError naming `section[i].key`.
    Builds only: nothing is started, collected or executed."""
    components = Components({}, [], {}, ProcessTable(), exits or ExitBook())
    for i, check_cfg in enumerate(settings.checks):
        with _located(f"checks[{i}]"):
            check = build_check(check_cfg, http=http)
        if isinstance(check, ProcessSource):
            check.share_table(components.table)
            check.share_exits(components.exits)
        components.checks[check_cfg.name] = check
    for i, rule_cfg in enumerate(settings.rules):
        with _located(f"rules[{i}]"):
            components.rules.append(build_rule(rule_cfg))
    deps = ActionDeps(http=http, base_env=base_env, observed_of=components.observed_of)
    for i, action_cfg in enumerate(settings.actions):
        with _located(f"actions[{i}]"):
            components.actions[action_cfg.name] = build_action(action_cfg, deps)
    return components


@contextmanager
def _located(where: str) -> Iterator[None]:
    try:
        yield
    except ConfigError as exc:
        raise ConfigError(exc.message, path=where + _key_suffix(exc.path)) from exc


def _key_suffix(path: str) -> str:
    """`checks.web.body_regex` (a builder's own path) -> `.body_regex` under the item."""
    parts = path.split(".")
    return "." + ".".join(parts[2:]) if len(parts) > 2 else ""

"""`depends_on` between checks: every name exists, and no check depends on itself through others."""

from __future__ import annotations

from collections.abc import Sequence
from graphlib import CycleError, TopologicalSorter

from mapekd.config.checks import CheckBase
from mapekd.errors import ConfigError


def check_dependencies(checks: Sequence[CheckBase]) -> None:
    """ConfigError naming the `checks[i].depends_on` key at fault."""
    index = {c.name: i for i, c in enumerate(checks)}
    for i, check in enumerate(checks):
        for name in check.depends_on:
            if name not in index:
                raise ConfigError(f"unknown check {name!r}", path=f"checks[{i}].depends_on")
    try:
        TopologicalSorter({c.name: c.depends_on for c in checks}).prepare()
    except CycleError as exc:
        cycle: list[str] = exc.args[1]
        path = f"checks[{index[cycle[0]]}].depends_on"
        raise ConfigError(f"dependency cycle: {' -> '.join(cycle)}", path=path) from exc

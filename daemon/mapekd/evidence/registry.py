"""Which gatherers read the evidence of which check, by the check's type.

- systemd: the unit's journal and systemd's verdict (the unit the incident's target names);
- process: how the process ended (its exit status, the kernel's OOM or fault lines), plus the
  journal and verdict of its `unit:` when it has one;
- http: the last failing probe (needs the running check, which remembers it);
- prometheus / promql: the series and values of the target;
- file with `content_regex`: the tail of the file it watches;
- every check with `logs:`: the tail of those files.
A check type without an entry here is an error: a new check type must say what its evidence is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from mapekd.config.checks import (
    CheckBase,
    ProcessCheckConfig,
    PrometheusCheckConfig,
    PromqlCheckConfig,
)
from mapekd.config.checks_monit import FileCheckConfig
from mapekd.config.evidence import EvidenceConfig
from mapekd.config.settings import Settings
from mapekd.errors import ConfigError
from mapekd.evidence.base import Gatherer
from mapekd.evidence.exits import ExitBook, ExitsGatherer
from mapekd.evidence.http import HttpGatherer, RemembersFailure
from mapekd.evidence.journal import JournalGatherer
from mapekd.evidence.kernel import KernelGatherer
from mapekd.evidence.log import LogGatherer
from mapekd.evidence.series import SeriesGatherer
from mapekd.evidence.verdict import VerdictGatherer
from mapekd.monitor.base import require_config


@dataclass(frozen=True)
class Sources:
    """What the gatherers of a running daemon read besides the configuration."""

    evidence: EvidenceConfig
    checks: Mapping[str, object]
    """The running checks by name (an HTTP check remembers its last failing probe)."""
    exits: ExitBook | None


Builder = Callable[[CheckBase, Sources], list[Gatherer]]


def gatherers_for(
    settings: Settings, *, checks: Mapping[str, object] | None = None, exits: ExitBook | None = None
) -> dict[str, list[Gatherer]]:
    """The gatherers of every configured check, by check name (empty when evidence is off)."""
    if not settings.evidence.enabled:
        return {}
    sources = Sources(settings.evidence, checks or {}, exits)
    result: dict[str, list[Gatherer]] = {}
    for index, check in enumerate(settings.checks):
        build = BY_TYPE.get(check.type)
        if build is None:
            known = ", ".join(sorted(BY_TYPE))
            raise ConfigError(
                f"no evidence gatherers for check type {check.type!r} (known: {known})",
                path=f"checks[{index}].type",
            )
        gatherers = build(check, sources)
        if check.logs:
            gatherers.append(LogGatherer(check.logs))
        result[check.name] = gatherers
    return result


def _systemd(check: CheckBase, sources: Sources) -> list[Gatherer]:
    return [JournalGatherer(directory=sources.evidence.journal_directory), VerdictGatherer()]


def _process(check: CheckBase, sources: Sources) -> list[Gatherer]:
    cfg = require_config(check, ProcessCheckConfig)
    gatherers: list[Gatherer] = []
    if sources.exits is not None:
        gatherers.append(ExitsGatherer(cfg.name, sources.exits))
    directory = sources.evidence.journal_directory
    kernel = KernelGatherer(
        cfg.name, comm=cfg.match_name, unit=cfg.unit, exits=sources.exits, journal_directory=directory
    )
    gatherers.append(kernel)
    if cfg.unit:
        gatherers += [JournalGatherer(cfg.unit, directory=directory), VerdictGatherer(cfg.unit)]
    return gatherers


def _http(check: CheckBase, sources: Sources) -> list[Gatherer]:
    running = sources.checks.get(check.name)
    return [HttpGatherer(running)] if isinstance(running, RemembersFailure) else []


def _prometheus(check: CheckBase, sources: Sources) -> list[Gatherer]:
    cfg = require_config(check, PrometheusCheckConfig)
    return [SeriesGatherer({m.field or m.name: m.name for m in cfg.metrics})]


def _promql(check: CheckBase, sources: Sources) -> list[Gatherer]:
    cfg = require_config(check, PromqlCheckConfig)
    return [SeriesGatherer({q.field or q.name: q.query for q in cfg.queries})]


def _watched_file(check: CheckBase, sources: Sources) -> list[Gatherer]:
    cfg = require_config(check, FileCheckConfig)
    watched = cfg.content_regex is not None and cfg.path not in cfg.logs
    return [LogGatherer([cfg.path])] if watched else []


def _logs_only(check: CheckBase, sources: Sources) -> list[Gatherer]:
    return []


BY_TYPE: Final[Mapping[str, Builder]] = {
    "systemd": _systemd,
    "process": _process,
    "http": _http,
    "prometheus": _prometheus,
    "promql": _promql,
    "host": _logs_only,
    "alertmanager": _logs_only,
    "tcp": _logs_only,
    "filesystem": _logs_only,
    "program": _logs_only,
    "directory": _logs_only,
    "network": _logs_only,
    "file": _watched_file,
    "fifo": _logs_only,
}

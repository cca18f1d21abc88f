"""Which gatherers read which check's evidence, by check type."""

from __future__ import annotations

from typing import Any

import pytest

from mapekd.config.settings import Settings
from mapekd.errors import ConfigError
from mapekd.evidence import registry
from mapekd.evidence.exits import ExitBook, ExitsGatherer
from mapekd.evidence.http import HttpGatherer
from mapekd.evidence.journal import JournalGatherer
from mapekd.evidence.kernel import KernelGatherer
from mapekd.evidence.log import LogGatherer
from mapekd.evidence.registry import gatherers_for
from mapekd.evidence.series import SeriesGatherer
from mapekd.evidence.verdict import VerdictGatherer
from mapekd.monitor.http import ProbeFailure

CHECKS: list[dict[str, Any]] = [
    {"name": "host", "type": "host"},
    {
        "name": "units",
        "type": "systemd",
        "units": ["web.service", "db.service"],
        "logs": ["/var/log/web/*.log"],
    },
    {"name": "web", "type": "process", "match_name": "gunicorn", "unit": "web.service"},
    {"name": "worker", "type": "process", "cmdline": "worker.py", "logs": ["/var/log/worker.log"]},
    {"name": "site", "type": "http", "url": "http://127.0.0.1:8080/health"},
    {
        "name": "node",
        "type": "prometheus",
        "url": "http://127.0.0.1:9100/metrics",
        "metrics": [{"name": "node_load1", "field": "load"}],
    },
    {
        "name": "cpu",
        "type": "promql",
        "url": "http://127.0.0.1:9090",
        "queries": [{"name": "busy", "query": "up"}],
    },
]


class RunningHttpCheck:
    last_failure: ProbeFailure | None = None


def kinds(gatherers: list[Any]) -> list[type]:
    return [type(g) for g in gatherers]


def test_gatherers_by_check_type() -> None:
    settings = Settings.model_validate({"checks": CHECKS})
    found = gatherers_for(settings, checks={"site": RunningHttpCheck()}, exits=ExitBook())
    assert kinds(found["host"]) == []
    assert kinds(found["units"]) == [JournalGatherer, VerdictGatherer, LogGatherer]
    assert kinds(found["web"]) == [ExitsGatherer, KernelGatherer, JournalGatherer, VerdictGatherer]
    assert kinds(found["worker"]) == [ExitsGatherer, KernelGatherer, LogGatherer]
    assert kinds(found["site"]) == [HttpGatherer]
    assert kinds(found["node"]) == [SeriesGatherer] and kinds(found["cpu"]) == [SeriesGatherer]
    web_journal = found["web"][2]
    assert isinstance(web_journal, JournalGatherer) and web_journal.unit == "web.service"
    kernel = found["web"][1]
    assert isinstance(kernel, KernelGatherer) and (kernel.comm, kernel.unit) == ("gunicorn", "web.service")
    series = found["cpu"][0]
    assert isinstance(series, SeriesGatherer) and series.fields == {"busy": "up"}


def test_without_running_checks_or_exit_book_those_gatherers_are_left_out() -> None:
    found = gatherers_for(Settings.model_validate({"checks": CHECKS}))
    assert found["site"] == [] and kinds(found["worker"]) == [KernelGatherer, LogGatherer]


def test_the_journal_directory_reaches_the_journal_readers() -> None:
    settings = Settings.model_validate({"checks": CHECKS, "evidence": {"journal_directory": "/srv/journal"}})
    journal = gatherers_for(settings)["units"][0]
    assert isinstance(journal, JournalGatherer) and journal.directory == "/srv/journal"


def test_evidence_off_means_no_gatherers() -> None:
    assert gatherers_for(Settings.model_validate({"checks": CHECKS, "evidence": {"enabled": False}})) == {}


def test_a_check_type_without_an_entry_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "BY_TYPE", {k: v for k, v in registry.BY_TYPE.items() if k != "promql"})
    with pytest.raises(ConfigError, match="no evidence gatherers for check type 'promql'") as caught:
        gatherers_for(Settings.model_validate({"checks": CHECKS}))
    assert caught.value.path == "checks[6].type"


def test_every_check_type_has_an_entry() -> None:
    from mapekd.monitor.registry import CHECK_TYPES

    assert set(registry.BY_TYPE) == set(CHECK_TYPES)

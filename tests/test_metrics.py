"""LoopMetrics: what each hook records, and the daemon's loop calling the hooks for real."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from mapekd.config.loader import load_settings
from mapekd.llm.budget import Budget
from mapekd.llm.config import BudgetSettings
from mapekd.llm.metrics import LLMMetrics
from mapekd.llm.types import Usage
from mapekd.metrics import LoopMetrics
from mapekd.model import Sample
from mapekd.runner import Daemon


def populated_registry() -> CollectorRegistry:
    """One registry, as the daemon has it, with every metric family holding a value."""
    registry = CollectorRegistry()
    loop = LoopMetrics(registry)
    loop.cycle_done(0.02, [Sample("web", "http:web", {"ok": True}), Sample("host", "host", {"ok": False})])
    loop.open_incidents({"open": 1, "gave_up": 1})
    loop.decision("rule", "execute")
    loop.execution("restart_web", "succeeded")
    loop.outcome("web_down", "resolved", 42.0)
    loop.gave_up("web_down")
    llm = LLMMetrics(registry)
    llm.call("openai", "chat", 0.3, Usage(input_tokens=10, output_tokens=5), 0.001, "gpt-4o-mini")
    llm.error("openai", "chat", 1.0, "RateLimited")
    for cache in ("exact", "semantic"):
        llm.cache_hits.labels(cache).inc()
        llm.cache_misses.labels(cache).inc()
    llm.limited.labels("openai").inc()
    llm.failovers.inc()
    llm.offline_hits.inc()
    llm.unpriced_call("openai", "gpt-9-unpriced")
    llm.bind_breaker("openai", lambda: 2.0)
    budget = Budget(BudgetSettings(daily=5.0), wall_clock=time.time)
    budget.settle(budget.reserve(1.5, None), 1.25)
    llm.bind_budget(budget)
    return registry


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_a_cycle_sets_each_checks_state_and_the_last_cycle_time() -> None:
    registry = CollectorRegistry()
    metrics = LoopMetrics(registry)
    before = time.time()

    metrics.cycle_done(
        0.3,
        [
            Sample("host", "disk:/", {"ok": True}),
            Sample("host", "disk:/var", {"ok": False}),
            Sample("web", "http:web", {"ok": True}),
        ],
    )

    assert value(registry, "mapekd_cycles_total") == 1
    assert value(registry, "mapekd_cycle_duration_seconds_sum") == 0.3
    assert value(registry, "mapekd_cycle_duration_seconds_bucket", le="0.5") == 1
    assert value(registry, "mapekd_check_up", check="host") == 0, "one failing sample fails the check"
    assert value(registry, "mapekd_check_up", check="web") == 1
    assert before <= (value(registry, "mapekd_last_cycle_timestamp_seconds") or 0) <= time.time()


def test_a_check_removed_by_a_reload_loses_its_series() -> None:
    registry = CollectorRegistry()
    metrics = LoopMetrics(registry)
    metrics.cycle_done(
        0.1, [Sample("old", "check:old", {"ok": False}), Sample("web", "http:web", {"ok": True})]
    )

    metrics.cycle_done(0.1, [Sample("web", "http:web", {"ok": True})])

    assert value(registry, "mapekd_check_up", check="old") is None
    assert value(registry, "mapekd_check_up", check="web") == 1


def test_open_incidents_are_counted_by_status_and_zero_when_gone() -> None:
    registry = CollectorRegistry()
    metrics = LoopMetrics(registry)
    assert value(registry, "mapekd_open_incidents", status="gave_up") == 0, "exported before any incident"

    metrics.open_incidents({"open": 2, "gave_up": 1})
    assert value(registry, "mapekd_open_incidents", status="open") == 2
    assert value(registry, "mapekd_open_incidents", status="gave_up") == 1

    metrics.open_incidents({})
    assert value(registry, "mapekd_open_incidents", status="open") == 0
    assert value(registry, "mapekd_open_incidents", status="gave_up") == 0


def test_only_a_resolved_outcome_records_the_time_to_mitigate() -> None:
    registry = CollectorRegistry()
    metrics = LoopMetrics(registry)

    metrics.outcome("web_down", "not_resolved", 10.0)
    metrics.outcome("web_down", "resolved", 75.0)

    assert value(registry, "mapekd_outcomes_total", rule="web_down", outcome="not_resolved") == 1
    assert value(registry, "mapekd_outcomes_total", rule="web_down", outcome="resolved") == 1
    assert value(registry, "mapekd_time_to_mitigate_seconds_count", rule="web_down") == 1
    assert value(registry, "mapekd_time_to_mitigate_seconds_sum", rule="web_down") == 75.0


def test_giving_up_counts_the_incident_and_its_decision() -> None:
    registry = CollectorRegistry()
    metrics = LoopMetrics(registry)

    metrics.gave_up("web_down")

    assert value(registry, "mapekd_incidents_gave_up_total", rule="web_down") == 1
    assert value(registry, "mapekd_decisions_total", source="policy", verdict="gave_up") == 1


def test_build_info_and_process_metrics_are_exported() -> None:
    registry = CollectorRegistry()
    LoopMetrics(registry)

    names = {metric.name for metric in registry.collect()}
    assert {"mapekd_build_info", "process_start_time_seconds"} <= names


def test_the_budget_gauges_read_the_budget_at_scrape_time() -> None:
    registry = CollectorRegistry()
    budget = Budget(BudgetSettings(daily=2.0), wall_clock=time.time)
    LLMMetrics(registry).bind_budget(budget)
    assert value(registry, "llm_budget_daily_spent") == 0
    assert value(registry, "llm_budget_daily_limit") == 2.0

    budget.settle(budget.reserve(0.5, None), 0.4)
    assert value(registry, "llm_budget_daily_spent") == pytest.approx(0.4)


def test_without_a_daily_limit_there_is_no_limit_series() -> None:
    registry = CollectorRegistry()
    LLMMetrics(registry).bind_budget(Budget(BudgetSettings(), wall_clock=time.time))

    assert value(registry, "llm_budget_daily_spent") == 0
    assert value(registry, "llm_budget_daily_limit") is None


class FixedWhenFileExists(BaseHTTPRequestHandler):
    """A health endpoint: 503 until the remedy created its file, then 200."""

    marker: Path

    def do_GET(self) -> None:
        self.send_response(200 if self.marker.exists() else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_url(tmp_path: Path) -> Iterator[str]:
    handler = type("Handler", (FixedWhenFileExists,), {"marker": tmp_path / "fixed"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/health"
    server.shutdown()
    server.server_close()


def daemon_for(tmp_path: Path, url: str, argv: list[str], max_actions: int = 3) -> Daemon:
    config = {
        "checks": [{"name": "web", "type": "http", "url": url, "timeout": "5s"}],
        "rules": [{"name": "web_down", "check": "web", "when": "ok == false", "remedies": ["fix"]}],
        "actions": [{"name": "fix", "type": "command", "argv": argv, "settle": "0s", "timeout": "10s"}],
        "policy": {"cooldown": "0s", "max_actions": max_actions},
        "knowledge": {"path": str(tmp_path / "kb.db")},
        "api": {"enabled": True, "port": 0},  # the registry is kept for the API, which serves it
    }
    path = tmp_path / "mapekd.yaml"
    path.write_text(yaml.safe_dump(config))
    return Daemon(load_settings(path), config_path=path, env={}, base_env={"PATH": os.defpath})


async def test_a_healed_incident_shows_in_the_daemons_registry(tmp_path: Path, health_url: str) -> None:
    daemon = daemon_for(tmp_path, health_url, ["touch", str(tmp_path / "fixed")])

    await daemon.run(once=True)

    registry = daemon.registry
    assert registry is not None
    assert value(registry, "mapekd_cycles_total") == 1
    assert value(registry, "mapekd_check_up", check="web") == 0, "collected before the remedy ran"
    assert value(registry, "mapekd_decisions_total", source="rule", verdict="execute") == 1
    assert value(registry, "mapekd_executions_total", action="fix", result="succeeded") == 1
    assert value(registry, "mapekd_outcomes_total", rule="web_down", outcome="resolved") == 1
    assert value(registry, "mapekd_time_to_mitigate_seconds_count", rule="web_down") == 1


async def test_a_given_up_incident_shows_in_the_daemons_registry(tmp_path: Path, health_url: str) -> None:
    daemon = daemon_for(tmp_path, health_url, ["true"], max_actions=1)

    await daemon.run(once=True)  # acts once; the endpoint stays down
    await daemon.run(once=True)  # the cap is reached: gives up

    registry = daemon.registry
    assert registry is not None
    assert value(registry, "mapekd_cycles_total") == 2
    assert value(registry, "mapekd_outcomes_total", rule="web_down", outcome="not_resolved") == 1
    assert value(registry, "mapekd_incidents_gave_up_total", rule="web_down") == 1
    assert value(registry, "mapekd_open_incidents", status="gave_up") == 1
    assert value(registry, "mapekd_time_to_mitigate_seconds_count", rule="web_down") is None

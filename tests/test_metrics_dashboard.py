"""The Grafana dashboard: every panel queries metrics the daemon exposes, and every query works
on a real Prometheus that scrapes the daemon's registry (with the alert rules loaded)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import start_http_server

from tests.conftest import wait_for
from tests.monitor.prometheus_server import PrometheusServer, prometheus_with_exporters
from tests.test_metrics import populated_registry
from tests.test_metrics_promtool import FROM_PROMETHEUS, RULES_DIR, exposed_names, metric_names, rule_exprs

DASHBOARD = Path(__file__).resolve().parents[1] / "config" / "grafana" / "mapekd-dashboard.json"
GRAFANA_VARIABLES = {"$instance": ".*", "$__rate_interval": "1m"}


def panels() -> list[dict[str, Any]]:
    return [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] != "row"]


def exprs(panel: dict[str, Any]) -> list[str]:
    return [target["expr"] for target in panel["targets"]]


def dashboard_metrics() -> set[str]:
    return {name for panel in panels() for expr in exprs(panel) for name in metric_names(expr)}


def test_every_panel_queries_metrics_the_daemon_exposes() -> None:
    exposed = exposed_names() | FROM_PROMETHEUS
    for panel in panels():
        assert exprs(panel), f"panel {panel['title']!r} has no query"
        for expr in exprs(panel):
            assert metric_names(expr), f"{panel['title']!r}: no metric in {expr!r}"
            assert metric_names(expr) <= exposed, f"{panel['title']!r}: {expr!r}"


def test_the_dashboard_covers_the_alerts_and_every_loop_metric() -> None:
    shown = dashboard_metrics()
    alerted = {name for expr in rule_exprs() for name in metric_names(expr)}
    families = {f.name for f in populated_registry().collect() if f.name.startswith(("mapekd_", "llm_"))}

    assert alerted <= shown
    for family in families:  # a family's series: name, name_total, name_bucket, ...
        assert any(name.startswith(family) for name in shown), family


def test_panel_ids_are_unique_and_panels_fit_the_grid() -> None:
    everything = json.loads(DASHBOARD.read_text())["panels"]
    ids = [p["id"] for p in everything]
    assert len(ids) == len(set(ids))
    for panel in everything:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    server, _ = start_http_server(0, addr="127.0.0.1", registry=populated_registry())
    try:
        address = f"127.0.0.1:{server.server_port}"
        directory = tmp_path_factory.mktemp("prometheus")
        rules = RULES_DIR / "mapekd-rules.yml"
        with prometheus_with_exporters(directory, [], targets={"mapekd": address}, rules=rules) as prom:
            # rate() needs two points in its window
            wait_for(
                lambda: prom.query('count_over_time(up{job="mapekd"}[1m]) >= 3'),
                timeout=60,
                message="three scrapes of the daemon",
            )
            yield prom
    finally:
        server.shutdown()
        server.server_close()


def instant(prometheus: PrometheusServer, expr: str) -> dict[str, Any]:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    answer = httpx.get(f"{prometheus.url}/api/v1/query", params={"query": expr}, trust_env=False)
    return dict(answer.json())


@pytest.mark.parametrize("title", [p["title"] for p in panels()])
def test_each_panel_shows_data_from_a_real_prometheus(prometheus: PrometheusServer, title: str) -> None:
    (panel,) = [p for p in panels() if p["title"] == title]
    series = 0
    for expr in exprs(panel):
        answer = instant(prometheus, expr)
        assert answer["status"] == "success", (expr, answer)
        series += len(answer["data"]["result"])

    assert series > 0, f"panel {title!r} would be empty"


def test_the_instance_variable_lists_the_daemon(prometheus: PrometheusServer) -> None:
    variable = json.loads(DASHBOARD.read_text())["templating"]["list"][0]
    assert variable["query"]["query"] == "label_values(mapekd_build_info, instance)"

    (series,) = prometheus.query("mapekd_build_info")
    assert series["metric"]["instance"].startswith("127.0.0.1:")


def test_prometheus_loads_the_rules_and_alerts_on_the_daemons_state(prometheus: PrometheusServer) -> None:
    """The populated registry has a given-up incident (fires at once) and an open breaker
    (pending for 5m); the budget is at 25% of its limit (silent)."""

    def alerts() -> dict[str, str]:
        found = httpx.get(f"{prometheus.url}/api/v1/alerts", trust_env=False).json()["data"]["alerts"]
        return {a["labels"]["alertname"]: a["state"] for a in found}

    state = wait_for(lambda: len(alerts()) >= 2 and alerts(), timeout=30, message="the alert rules")

    assert state == {"MapekdIncidentsGivenUp": "firing", "MapekdLLMBreakerOpen": "pending"}

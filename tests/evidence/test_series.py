"""The series behind a Prometheus / PromQL incident, from the facts of its target."""

from __future__ import annotations

import time

from mapekd.evidence.base import EvidenceRequest
from mapekd.evidence.series import SeriesGatherer, labels_of


def request(target: str, facts: dict[str, object], *, max_items: int = 10) -> EvidenceRequest:
    return EvidenceRequest(1, "node", target, time.time(), time.time() - 60, 5.0, max_items, 4096, facts)


def test_a_promql_series_with_its_labels_and_value() -> None:
    gatherer = SeriesGatherer({"cpu_busy": "1 - avg by (instance, job) (rate(node_cpu_seconds_total[1m]))"})
    facts = {"cpu_busy": 0.97, "ok": True}
    [item] = gatherer.gather(request("promql:node/instance=a:9100/job=node", facts))
    assert item.text == 'cpu_busy{instance="a:9100",job="node"} = 0.97'
    assert item.source.startswith("1 - avg by") and item.kind == "series"


def test_a_prometheus_sum_says_over_how_many_series_and_missing_values_are_left_out() -> None:
    gatherer = SeriesGatherer({"errors": "http_requests_total", "latency": "latency_seconds_sum"})
    facts = {"errors": 1234.0, "errors_series": 3, "latency": None, "latency_series": 0, "ok": True}
    [item] = gatherer.gather(request("prometheus:web", facts))
    assert item.text == "errors = 1234 (sum of 3 series)"


def test_bounds_and_booleans() -> None:
    gatherer = SeriesGatherer({f"f{i}": f"q{i}" for i in range(5)} | {"flag": "up"})
    items = gatherer.gather(
        request("promql:c", {**{f"f{i}": i for i in range(5)}, "flag": True}, max_items=2)
    )
    assert [item.text for item in items] == ["f3 = 3", "f4 = 4"]


def test_labels_of_targets() -> None:
    assert labels_of("promql:c") == ""
    assert labels_of("promql:c/job=x") == '{job="x"}'

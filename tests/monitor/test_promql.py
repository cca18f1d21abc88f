"""PromqlCheck against a real Prometheus scraping real node_exporters, both started here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from mapekd.analyze.history import History
from mapekd.analyze.rules.threshold import ThresholdRule
from mapekd.config.checks import PromqlCheckConfig, PromqlQuery
from mapekd.config.loader import load_settings
from mapekd.config.rules import ThresholdRuleConfig
from mapekd.execute.params import build_params
from mapekd.model import Sample
from mapekd.monitor.promql import PromqlCheck
from mapekd.monitor.promql_series import MAX_LABEL_CHARS, target_of
from tests.conftest import wait_for

from .conftest import reply
from .prometheus_server import PrometheusServer, prometheus_with_exporters


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    with prometheus_with_exporters(tmp_path_factory.mktemp("prometheus"), ["node", "victim"]) as server:
        yield server


def check(url: str, client: httpx.AsyncClient, *queries: tuple[str, str], **kw) -> PromqlCheck:
    return PromqlCheck(
        "nodes", url, client=client, queries=[PromqlQuery(name=n, query=q) for n, q in queries], **kw
    )


def by_target(samples: list[Sample]) -> dict[str, Sample]:
    return {s.target: s for s in samples}


async def test_each_series_becomes_a_target_with_a_field_per_query(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    node = prometheus.exporters["node"].address
    samples = await check(
        prometheus.url, client, ("up", 'up{job="node"}'), ("load1", 'node_load1{job="node"}')
    ).collect()

    found = by_target(samples)
    assert list(found) == ["promql:nodes", f"promql:nodes/instance={node}/job=node"]
    own = found["promql:nodes"].fields
    assert own["ok"] is True and own["error"] is None
    assert own["up_series"] == 1 and own["load1_series"] == 1
    series = found[f"promql:nodes/instance={node}/job=node"].fields
    assert series["ok"] is True and series["up"] == 1.0
    assert isinstance(series["load1"], float) and series["load1"] >= 0.0
    build_params(incident_id=1, rule="r", check="nodes", target=samples[1].target, fields={})


async def test_a_rule_on_the_series_fires_when_an_exporter_dies(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    victim = prometheus.exporters["victim"]
    promql = check(prometheus.url, client, ("up", 'up{job="victim"}'))
    rule = ThresholdRule(
        ThresholdRuleConfig.model_validate({"name": "node_down", "check": "nodes", "when": "up == 0"})
    )
    history = History(3600, started_at=0.0)
    target = f"promql:nodes/instance={victim.address}/job=victim"

    history.add(await promql.collect())
    result = rule.evaluate(history, history.latest("nodes", target).ts)  # type: ignore[union-attr]
    assert result.firing == [] and target in result.clear

    victim.process.terminate()
    victim.process.wait(timeout=15)
    wait_for(lambda: prometheus.query('up{job="victim"} == 0'), timeout=60, message="the failed scrape")
    history.add(await promql.collect())
    result = rule.evaluate(history, history.latest("nodes", target).ts)  # type: ignore[union-attr]

    assert [s.signature for s in result.firing] == [f"node_down@{target}"]
    assert result.firing[0].fields["up"] == 0.0


async def test_labelless_results_land_on_the_checks_own_target(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    samples = await check(
        prometheus.url, client, ("node_up", 'scalar(up{job="node"})'), ("jobs", "count(count by (job) (up))")
    ).collect()

    assert [s.target for s in samples] == ["promql:nodes"]
    assert samples[0].fields["node_up"] == 1.0 and samples[0].fields["jobs"] == 2.0


async def test_an_empty_result_is_ok_with_no_series(prometheus: PrometheusServer, client) -> None:
    samples = await check(prometheus.url, client, ("gone", 'up{job="nonexistent"}')).collect()

    assert [(s.target, s.fields) for s in samples] == [
        (
            "promql:nodes",
            {
                "ok": True,
                "error": None,
                "query_ms": samples[0].fields["query_ms"],
                "gone": None,
                "gone_series": 0,
            },
        )
    ]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("node_load1{", 'query bad: bad_data: invalid parameter "query": 1:12: parse error: unexpected end'),
        (
            '{__name__=~"node_load.*"} * on(job) up',
            "query bad: execution: multiple matches for labels: many-to-one matching must be explicit",
        ),
        ("node_load1[1m]", "query bad: the query gives a matrix, not an instant vector or scalar"),
        ('"text"', "query bad: the query gives a string, not an instant vector or scalar"),
        ('{__name__=~"node_load.*"}', "query bad: several series differ only in their metric name"),
    ],
)
async def test_prometheus_errors_become_an_error_sample_with_its_message(
    prometheus: PrometheusServer, client: httpx.AsyncClient, query: str, error: str
) -> None:
    samples = await check(prometheus.url, client, ("up", "up"), ("bad", query)).collect()

    assert [s.target for s in samples] == ["promql:nodes"], "no series samples from a failed check"
    assert samples[0].fields["ok"] is False
    assert samples[0].error is not None and samples[0].error.startswith(error), samples[0].error


async def test_more_series_than_max_series_is_an_error(prometheus: PrometheusServer, client) -> None:
    samples = await check(prometheus.url, client, ("any", '{job="node"}'), max_series=5).collect()

    assert samples[0].ok is False
    assert samples[0].error is not None and "more than max_series (5)" in samples[0].error


async def test_an_answer_over_max_bytes_is_an_error(prometheus: PrometheusServer, client) -> None:
    samples = await check(prometheus.url, client, ("up", "up"), max_bytes=64).collect()

    assert samples[0].error == "answer larger than max_bytes (64); reading stopped"


async def test_a_server_that_is_down_gives_an_error_sample(refused_url: str, client) -> None:
    samples = await check(refused_url, client, ("up", "up")).collect()

    assert [s.target for s in samples] == ["promql:nodes"]
    assert samples[0].error is not None and samples[0].error.startswith("ConnectError")


async def test_a_server_that_never_answers_times_out(silent_server: str, client) -> None:
    samples = await check(silent_server, client, ("up", "up"), timeout=0.5).collect()

    assert samples[0].error == "timeout: no complete answer within 0.5s"


async def test_headers_are_sent_and_a_non_api_answer_is_an_error(serve, client) -> None:
    seen: list[str | None] = []

    def page(handler) -> None:
        seen.append(handler.headers.get("Authorization"))
        reply(handler, 200, b"<html>login</html>", content_type="text/html")

    url = serve({"/prom/api/v1/query": page}) + "/prom/"
    token = SecretStr("Bearer s3cret")
    samples = await check(url, client, ("up", "up"), headers={"Authorization": token}).collect()

    assert seen == ["Bearer s3cret"]
    assert samples[0].error == "query up: not a Prometheus API answer (HTTP 200)"


def test_targets_are_readable_valid_parameters_and_distinct() -> None:
    plain = target_of("disk", (("instance", "db-1:9100"), ("job", "node")))
    slashed = target_of("disk", (("mountpoint", "/var/log"),))
    underscored = target_of("disk", (("mountpoint", "_var_log"),))
    long = target_of("disk", (("path", "x" * 500),))

    assert plain == "promql:disk/instance=db-1:9100/job=node"
    assert (
        slashed.startswith("promql:disk/mountpoint=_var_log+")
        and underscored == "promql:disk/mountpoint=_var_log"
    )
    assert len(long) < 255 and long.startswith("promql:disk/path=" + "x" * (MAX_LABEL_CHARS - 5))
    assert long != target_of("disk", (("path", "x" * 501),))
    for target in (plain, slashed, long, target_of("a" * 64, (("v", "é \n\"'"),))):
        assert build_params(incident_id=1, rule="r", check="c", target=target, fields={})["target"] == target


def test_config_refuses_queries_whose_fields_clash() -> None:
    base = {"type": "promql", "name": "p", "url": "http://127.0.0.1:9090"}
    with pytest.raises(ValidationError, match="fields clash: up_series"):
        PromqlCheckConfig.model_validate(
            {
                **base,
                "queries": [
                    {"name": "up", "query": "up"},
                    {"name": "x", "query": "up", "field": "up_series"},
                ],
            }
        )
    with pytest.raises(ValidationError, match="fields clash: query_ms"):
        PromqlCheckConfig.model_validate({**base, "queries": [{"name": "query_ms", "query": "up"}]})
    with pytest.raises(ValidationError, match="distinct names"):
        PromqlCheckConfig.model_validate(
            {**base, "queries": [{"name": "a", "query": "up"}, {"name": "a", "query": "up", "field": "b"}]}
        )


def test_the_loader_reads_a_promql_check(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    config = {
        "checks": [
            {
                "name": "central",
                "type": "promql",
                "url": "http://127.0.0.1:9090",
                "timeout": "2s",
                "queries": [{"name": "up", "query": "up == 0"}],
            }
        ]
    }
    path.write_text(json.dumps(config))  # JSON is YAML

    (promql,) = load_settings(path).checks
    assert isinstance(promql, PromqlCheckConfig)
    assert promql.timeout == 2.0 and promql.queries[0].query == "up == 0" and promql.max_series == 100


def test_hostile_label_names_and_dot_values_make_no_path_of_a_target() -> None:
    hostile = (("../../etc", "passwd"), ("x=y", "..:..:9100"), ("ok", "a/../b"))
    target = target_of("disk", tuple(sorted(hostile)))
    assert target.startswith("promql:disk/______etc=passwd/ok=a_.._b/x_y=__:__:9100+")
    assert ".." not in target.replace("a_.._b", "")
    assert build_params(incident_id=1, rule="r", check="c", target=target, fields={})["target"] == target
    # a name cleaned into another one's shape still makes another target
    assert target_of("disk", (("x_y", "1"),)) != target_of("disk", (("x=y", "1"),))

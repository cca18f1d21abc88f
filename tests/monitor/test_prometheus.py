"""PrometheusCheck against real exposition text served on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from mapekd.config.checks import MetricSelector
from mapekd.errors import ConfigError
from mapekd.monitor.prometheus import PrometheusCheck

from .conftest import reply, wait_until


def exposition() -> bytes:
    registry = CollectorRegistry()
    queue = Gauge("queue_depth", "Jobs waiting", ["queue", "region"], registry=registry)
    queue.labels(queue="mail", region="eu").set(5)
    queue.labels(queue="mail", region="us").set(7)
    queue.labels(queue="sms", region="eu").set(100)
    Counter("requests", "Requests served", registry=registry).inc(42)
    return generate_latest(registry)


class Endless:
    """Streams exposition-looking text until the client stops reading; counts what it sent."""

    def __init__(self) -> None:
        self.sent = 0
        self.done = threading.Event()

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)  # no Content-Length: the body runs until the connection ends
        handler.end_headers()
        line = b'filler{n="0123456789"} 1\n' * 4000
        try:
            while self.sent < 1 << 30:
                handler.wfile.write(line)
                self.sent += len(line)
        except OSError:
            pass  # the client hung up
        finally:
            self.done.set()


@pytest.fixture
def endless() -> Endless:
    return Endless()


@pytest.fixture
def metrics_body() -> bytes:
    return exposition()


@pytest.fixture
def base_url(serve, endless: Endless, metrics_body: bytes) -> str:
    return serve(
        {
            "/metrics": lambda h: reply(h, 200, metrics_body),
            "/broken": lambda h: reply(h, 200, b'queue_depth{queue="mail" 5\n'),
            "/error": lambda h: reply(h, 500, b"oops"),
            "/endless": endless,
        }
    )


def check(url: str, client: httpx.AsyncClient, *selectors: MetricSelector, **kw) -> PrometheusCheck:
    return PrometheusCheck("app", url, client=client, metrics=selectors, **kw)


async def test_selectors_keep_series_whose_labels_include_theirs(
    base_url: str, client: httpx.AsyncClient, metrics_body: bytes
) -> None:
    mail = MetricSelector(name="queue_depth", labels={"queue": "mail"}, field="mail_queue")
    eu_sms = MetricSelector(name="queue_depth", labels={"queue": "sms", "region": "eu"}, field="sms_eu")
    everything = MetricSelector(name="queue_depth", field="all_queues")
    requests = MetricSelector(name="requests_total")

    [sample] = await check(f"{base_url}/metrics", client, mail, eu_sms, everything, requests).collect()

    assert sample.target == "prometheus:app"
    assert sample.ok and sample.error is None
    assert sample.fields["mail_queue"] == 12 and sample.fields["mail_queue_series"] == 2
    assert sample.fields["sms_eu"] == 100 and sample.fields["sms_eu_series"] == 1
    assert sample.fields["all_queues"] == 112 and sample.fields["all_queues_series"] == 3
    assert sample.fields["requests_total"] == 42 and sample.fields["requests_total_series"] == 1
    assert sample.fields["bytes"] == len(metrics_body)
    assert sample.fields["scrape_ms"] >= 0


async def test_a_selector_matching_nothing_is_none(base_url: str, client: httpx.AsyncClient) -> None:
    absent = MetricSelector(name="queue_depth", labels={"queue": "fax"}, field="fax")

    [sample] = await check(f"{base_url}/metrics", client, absent).collect()

    assert sample.ok and sample.fields["fax"] is None and sample.fields["fax_series"] == 0


async def test_a_body_over_max_bytes_is_an_error(base_url: str, client: httpx.AsyncClient) -> None:
    selector = MetricSelector(name="queue_depth")

    [sample] = await check(f"{base_url}/metrics", client, selector, max_bytes=64).collect()

    assert not sample.ok and "max_bytes (64)" in (sample.error or "")


async def test_reading_stops_at_max_bytes(base_url: str, client: httpx.AsyncClient, endless: Endless) -> None:
    selector = MetricSelector(name="filler")
    started = time.monotonic()

    [sample] = await check(f"{base_url}/endless", client, selector, max_bytes=100_000).collect()

    assert not sample.ok and "max_bytes" in (sample.error or "")
    assert time.monotonic() - started < 5
    wait_until(endless.done.is_set)
    assert endless.sent < 64 * 1024 * 1024  # far short of the gigabyte it would have sent


async def test_malformed_exposition_is_an_error(base_url: str, client: httpx.AsyncClient) -> None:
    [sample] = await check(f"{base_url}/broken", client, MetricSelector(name="x")).collect()

    assert not sample.ok and (sample.error or "").startswith("malformed exposition")


async def test_an_error_status_is_an_error(base_url: str, client: httpx.AsyncClient) -> None:
    [sample] = await check(f"{base_url}/error", client, MetricSelector(name="x")).collect()

    assert not sample.ok and "HTTP 500" in (sample.error or "")


async def test_a_timeout_is_an_error(silent_server: str, client: httpx.AsyncClient) -> None:
    [sample] = await check(silent_server, client, MetricSelector(name="x"), timeout=0.5).collect()

    assert not sample.ok and (sample.error or "").startswith("timeout")


async def test_refused_is_an_error(refused_url: str, client: httpx.AsyncClient) -> None:
    [sample] = await check(refused_url, client, MetricSelector(name="x")).collect()

    assert not sample.ok and (sample.error or "").startswith("ConnectError")


@pytest.mark.parametrize("field", ["ok", "bytes", "a_series"])
def test_fields_that_clash_are_a_config_error(field: str, client: httpx.AsyncClient) -> None:
    selectors = [MetricSelector(name="a"), MetricSelector(name="b", field=field)]

    with pytest.raises(ConfigError, match="clash"):
        check("http://127.0.0.1/", client, *selectors)

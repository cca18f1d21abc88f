"""`type: prometheus`: scrape a Prometheus text exposition and keep the selected series.

One sample per check, target `prometheus:<check name>`; fields: ok, error, scrape_ms, bytes (the
body's size after content decoding), and per selector `<field>` and `<field>_series` (field =
the selector's `field`, else its `name`).

A selector names a series as it is written in the exposition (`http_requests_total`,
`latency_seconds_count`) and keeps the series whose labels include all of the selector's labels.
When several series match, `<field>` is their sum and `<field>_series` how many there were; when
none match, `<field>` is None and `<field>_series` 0 (the scrape itself is still ok).

The body is streamed and reading stops as soon as it exceeds `max_bytes`; that, a non-2xx status,
a timeout, a refused connection or malformed text yields an error sample (ok false, error set).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import httpx
from prometheus_client.parser import text_string_to_metric_families

from mapekd.config.checks import CheckBase, MetricSelector, PrometheusCheckConfig
from mapekd.errors import CheckError, ConfigError
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import describe_error, require_config
from mapekd.monitor.http import read_capped
from mapekd.shared_http import SharedHttp

_OWN_FIELDS = frozenset({"ok", "error", "scrape_ms", "bytes"})
_ACCEPT = "text/plain;version=0.0.4"  # the text format: the one the parser reads


class PrometheusCheck:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        client: httpx.AsyncClient,
        metrics: Sequence[MetricSelector],
        max_bytes: int = 4 * 1024 * 1024,
        timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.targets = (f"prometheus:{name}",)
        self._url, self._client = url, client
        self._selectors = [(sel, sel.field or sel.name) for sel in metrics]
        self._max_bytes, self._timeout = max_bytes, timeout
        _check_field_names(name, [field for _, field in self._selectors])

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> PrometheusCheck:
        cfg = require_config(config, PrometheusCheckConfig)
        return cls(
            cfg.name,
            str(cfg.url),
            client=http.client,
            metrics=cfg.metrics,
            max_bytes=cfg.max_bytes,
            timeout=cfg.timeout,
        )

    async def collect(self) -> list[Sample]:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                body = await self._scrape()
        except (TimeoutError, httpx.TimeoutException):
            return self._failed(f"timeout: no complete exposition within {self._timeout:g}s")
        except (httpx.HTTPError, CheckError) as exc:
            return self._failed(describe_error(exc))
        scrape_ms = round((time.perf_counter() - started) * 1000, 1)
        try:
            # Parsing megabytes of text is CPU work: keep it off the event loop.
            selected = await asyncio.to_thread(select_series, body, self._selectors)
        except ValueError as exc:  # the parser's (and UTF-8 decoding's) error for bad input
            return self._failed(f"malformed exposition: {describe_error(exc)}")
        fields: dict[str, FieldValue] = {
            "ok": True,
            "error": None,
            "scrape_ms": scrape_ms,
            "bytes": len(body),
            **selected,
        }
        return [Sample(self.name, self.targets[0], fields)]

    async def _scrape(self) -> bytes:
        async with self._client.stream(
            "GET", self._url, headers={"Accept": _ACCEPT}, timeout=self._timeout
        ) as response:
            if not response.is_success:
                raise CheckError(f"exposition endpoint answered HTTP {response.status_code}")
            return await read_capped(response, self._max_bytes, "exposition")

    def _failed(self, error: str) -> list[Sample]:
        return [Sample.failed(self.name, self.targets[0], error)]


def select_series(body: bytes, selectors: Sequence[tuple[MetricSelector, str]]) -> dict[str, FieldValue]:
    """Sum and count, per field, the series each selector keeps. Raises ValueError on bad text."""
    by_name: dict[str, list[tuple[MetricSelector, str]]] = {}
    for selector, field in selectors:
        by_name.setdefault(selector.name, []).append((selector, field))
    totals: dict[str, float] = {}
    counts = {field: 0 for _, field in selectors}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for series in family.samples:
            for selector, field in by_name.get(series.name, ()):
                if selector.labels.items() <= series.labels.items():
                    totals[field] = totals.get(field, 0.0) + series.value
                    counts[field] += 1
    fields: dict[str, FieldValue] = {}
    for field, count in counts.items():
        fields[field] = totals.get(field)
        fields[f"{field}_series"] = count
    return fields


def _check_field_names(check: str, fields: list[str]) -> None:
    """Every field this check writes must be distinct, and none may shadow ok/error/bytes."""
    written = [name for field in fields for name in (field, f"{field}_series")]
    clashes = sorted({n for n in written if n in _OWN_FIELDS or written.count(n) > 1})
    if clashes:
        raise ConfigError(
            f"metric fields clash: {', '.join(clashes)}; give the selectors distinct `field`s",
            path=f"checks.{check}.metrics",
        )

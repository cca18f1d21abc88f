"""`type: promql`: instant queries against a Prometheus server, each result series a target.

Every query runs as an instant query (GET <url>/api/v1/query). Their series are merged by label set
(without `__name__`): one sample per label set, target `promql:<check>/<label>=<value>/...` (labels
sorted), with one field per query (its `field`, else its `name`): the series' value, None when that
query had no series with these labels. The check's own target `promql:<check>` carries ok, error,
query_ms, `<field>_series` (how many series each query returned) and `<field>` for a result without
labels (`scalar(...)`, `sum(...)`).

An error answer of Prometheus (its errorType and message), a non-JSON, oversized or range-vector
answer, more than `max_series` series, a timeout or a refused connection yields one error sample on
`promql:<check>` and no series samples: a partial answer would look like vanished series.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

import httpx
from pydantic import SecretStr

from mapekd.config.checks import CheckBase, PromqlCheckConfig, PromqlQuery
from mapekd.errors import CheckError
from mapekd.model import Sample
from mapekd.monitor.base import describe_error, require_config
from mapekd.monitor.http import read_capped
from mapekd.monitor.promql_series import to_samples
from mapekd.shared_http import SharedHttp


class PromqlCheck:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        client: httpx.AsyncClient,
        queries: Sequence[PromqlQuery],
        headers: Mapping[str, SecretStr] | None = None,
        max_series: int = 100,
        max_bytes: int = 4 * 1024 * 1024,
        timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.targets = (f"promql:{name}",)
        self._endpoint = url.rstrip("/") + "/api/v1/query"
        self._client = client
        self._queries = [(q.field or q.name, q.query) for q in queries]
        self._headers = dict(headers or {})
        self._max_series, self._max_bytes, self._timeout = max_series, max_bytes, timeout

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> PromqlCheck:
        cfg = require_config(config, PromqlCheckConfig)
        return cls(
            cfg.name,
            str(cfg.url),
            client=http.client,
            queries=cfg.queries,
            headers=cfg.headers,
            max_series=cfg.max_series,
            max_bytes=cfg.max_bytes,
            timeout=cfg.timeout,
        )

    async def collect(self) -> list[Sample]:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                answers = await self._query_all()
        except (TimeoutError, httpx.TimeoutException):
            return self._failed(f"timeout: no complete answer within {self._timeout:g}s")
        except (httpx.HTTPError, CheckError) as exc:
            return self._failed(describe_error(exc, self._secrets()))
        query_ms = round((time.perf_counter() - started) * 1000, 1)
        try:
            # Decoding megabytes of JSON is CPU work: keep it off the event loop.
            return await asyncio.to_thread(
                to_samples, self.name, answers, max_series=self._max_series, query_ms=query_ms
            )
        except CheckError as exc:
            return self._failed(describe_error(exc, self._secrets()))

    async def _query_all(self) -> list[tuple[str, int, bytes]]:
        """All queries at once; the first failure cancels the others."""
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [(field, group.create_task(self._query(query))) for field, query in self._queries]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [(field, *task.result()) for field, task in tasks]

    async def _query(self, query: str) -> tuple[int, bytes]:
        params = {"query": query, "timeout": f"{self._timeout:g}s"}  # Prometheus stops evaluating too
        headers = {key: value.get_secret_value() for key, value in self._headers.items()}
        async with self._client.stream(
            "GET", self._endpoint, params=params, headers=headers, timeout=self._timeout
        ) as response:
            return response.status_code, await read_capped(response, self._max_bytes, "answer")

    def _secrets(self) -> list[str]:
        return [value.get_secret_value() for value in self._headers.values()]

    def _failed(self, error: str) -> list[Sample]:
        return [Sample.failed(self.name, self.targets[0], error)]

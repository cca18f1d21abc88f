"""A real API for tests: uvicorn on a free loopback port in the test's event loop, a real SQLite
file, and a gateway over the `offline` provider (answers from a file), optionally beside an
OpenAI-compatible loopback upstream."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client import CollectorRegistry

from mapekd.api.context import ApiContext, ApprovalQueue, FleetStatus, LoopView
from mapekd.api.server import ApiServer, start_api
from mapekd.config.api import ApiConfig
from mapekd.errors import MapekdError
from mapekd.knowledge.store import SqliteStore
from mapekd.llm.config import LLMSettings
from mapekd.llm.gateway import Gateway, build_gateway

READ = "read-token-000000000001"
APPROVE = "approve-token-0000000002"
LLM = "llm-token-00000000000003"
ALERTS = "alerts-token-00000000004"
OTHER_LLM = "llm-token-00000000000005"

TOKENS = [
    {"name": "reader", "token": READ, "rights": ["read"]},
    {"name": "approver", "token": APPROVE, "rights": ["read", "approve"]},
    {"name": "apps", "token": LLM, "rights": ["llm"]},
    {"name": "alertmanager", "token": ALERTS, "rights": ["alerts"]},
    {"name": "other_apps", "token": OTHER_LLM, "rights": ["llm"]},
]

ANSWERS = {
    "default": "I have no prepared answer for that.",
    "answers": [
        {"match": "hello", "answer": "Hello from the offline provider."},
        {"match": "cut me", "answer": "one two three four five six", "interrupt_after": 2},
        {"match": "slow job", "answer": "done slowly", "delay": "1500ms"},
        {"match": "broken upstream", "error": "server_error"},
    ],
}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def llm_settings(tmp: Path, upstream: str | None = None, **extra: Any) -> LLMSettings:
    answers = tmp / "answers.yaml"
    answers.write_text(yaml.safe_dump(ANSWERS))
    providers: list[dict[str, Any]] = [
        {"name": "canned", "type": "offline", "answers_path": str(answers), "model": "canned-model"}
    ]
    if upstream is not None:
        providers.insert(
            0, {"name": "upstream", "type": "openai_compat", "base_url": upstream, "model": "up-1"}
        )
    return LLMSettings.model_validate({"providers": providers, **extra})


class Api:
    """Start with `async with Api(...) as api`; `api.client` talks to it over loopback."""

    def __init__(
        self,
        tmp: Path,
        *,
        api: dict[str, Any] | None = None,
        llm: LLMSettings | None = None,
        loop: LoopView | None = None,
        approvals: ApprovalQueue | None = None,
        db: Path | None = None,
        retry_bind: bool = True,
        fleet: FleetStatus | None = None,
    ) -> None:
        config = {"enabled": True, "port": 0, "tokens": TOKENS, **(api or {})}
        self.config = ApiConfig.model_validate(config)
        self.llm = llm or llm_settings(tmp)
        self.loop = loop
        self.approvals = approvals
        self.db = db or tmp / "kb.db"
        self.server: ApiServer | None = None
        self.retry_bind = retry_bind
        self.fleet = fleet

    async def __aenter__(self) -> Api:
        self.registry = CollectorRegistry()
        self.store = SqliteStore(self.db)
        self.gateway: Gateway = build_gateway(self.llm, registry=self.registry)
        self.ctx = ApiContext(
            self.config,
            lambda: self.gateway,
            self.registry,
            self.store,
            loop=self.loop,
            approvals=self.approvals,
            fleet=self.fleet,
        )
        try:
            self.server = await start_api(self.ctx, retry_bind=self.retry_bind)
        except BaseException:
            await self.gateway.close()
            self.store.close()
            raise
        try:
            self.url = self.server.url
        except MapekdError:  # no TCP listener (yet): the client goes through the unix socket
            self.url = "http://localhost"
        uds = self.config.unix_socket
        transport = httpx.AsyncHTTPTransport(uds=uds) if uds and self.config.port is None else None
        self.client = httpx.AsyncClient(base_url=self.url, timeout=30.0, transport=transport)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        assert self.server is not None
        await self.server.stop()
        await self.gateway.close()
        self.store.close()

    def headers(self, token: str, **more: str) -> dict[str, str]:
        return {**bearer(token), **more}


class FakeLoop:
    """A LoopView with settable state (the daemon's DaemonView is tested end to end)."""

    def __init__(self, last_cycle_at: float | None, interval: float = 5.0) -> None:
        self._last = last_cycle_at
        self._interval = interval
        self.pushed: list[Any] = []

    @property
    def interval(self) -> float:
        return self._interval

    def last_cycle_at(self) -> float | None:
        return self._last

    def late_groups(self, allowance: Callable[[float], float]) -> list[str]:
        """The one group, collected at `interval`, late once its last collection is too old."""
        if self._last is None or time.time() - self._last <= allowance(self._interval):
            return []
        return [f"checks@{self._interval:g}s"]

    def jobs(self) -> list[dict[str, Any]]:
        return [
            {
                "id": f"checks@{self._interval:g}s",
                "trigger": f"every {self._interval:g}s",
                "next_run_at": None,
            }
        ]

    def checks(self) -> list[dict[str, Any]]:
        return [{"name": "host", "type": "host", "ok": True, "targets": 1, "failing": []}]

    def push_alerts(self, alerts: Sequence[Any]) -> int:
        self.pushed.extend(alerts)
        return 1

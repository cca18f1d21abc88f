"""Hosting the API next to what the process already has: the daemon (with its loop) or
`mapekd gateway` (without). A gateway is built here unless the host passes its own."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry

from mapekd.api.context import ApiContext, LoopView
from mapekd.api.server import ApiServer, start_api
from mapekd.config.settings import Settings
from mapekd.knowledge.store import SqliteStore
from mapekd.llm.gateway import Gateway, build_gateway
from mapekd.llm.types import CallRecord

DAY_S = 86400.0


class HostedApi:
    def __init__(self, server: ApiServer, own_gateway: Gateway | None) -> None:
        self.server = server
        self._own_gateway = own_gateway

    async def stop(self) -> None:
        try:
            await self.server.stop()
        finally:
            if self._own_gateway is not None:
                await self._own_gateway.close()


async def host_api(
    settings: Settings,
    store: SqliteStore,
    loop: LoopView | None,
    *,
    gateways: Callable[[], Gateway] | None = None,
    registry: CollectorRegistry | None = None,
) -> HostedApi:
    """`gateways` gives the host's current gateway; None: one is built here and closed at stop."""
    registry = registry if registry is not None else CollectorRegistry()
    own: Gateway | None = None
    if gateways is None:
        own = built = gateway_for(settings, store, registry)

        def gateways() -> Gateway:
            return built

    ctx = ApiContext(settings.api, gateways, registry, store, loop=loop, approvals=store)
    try:
        server = await start_api(ctx)
    except BaseException:
        if own is not None:
            await own.close()
        raise
    return HostedApi(server, own)


def gateway_for(settings: Settings, store: SqliteStore, registry: CollectorRegistry) -> Gateway:
    """A gateway of its own (`mapekd gateway`): calls recorded, the daily budget seeded from them."""

    def record(call: CallRecord) -> None:
        store.record_llm_call(call)

    gateway = build_gateway(settings.llm, registry=registry, sink=record)
    now = time.time()
    gateway.services.budget.seed_daily(store.llm_spent_since(now - now % DAY_S))
    return gateway

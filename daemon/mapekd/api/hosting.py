"""Hosting the API next to what the process already has: the daemon (with its loop) or
`mapekd gateway` (without). A gateway is built here unless the host passes its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry

from mapekd.api.context import ApiContext, LoopView
from mapekd.api.live_fleet import CachedFleetStatus
from mapekd.api.records import DeferredRecords
from mapekd.api.server import ApiServer, start_api
from mapekd.config.settings import Settings
from mapekd.knowledge.base import Store
from mapekd.llm.gateway import Gateway, Sink, build_gateway

DAY_S = 86400.0


class HostedApi:
    def __init__(
        self, server: ApiServer, own_gateway: Gateway | None, records: DeferredRecords | None = None
    ) -> None:
        self.server = server
        self._own_gateway = own_gateway
        self._records = records

    async def stop(self) -> None:
        """Stop serving (requests under way finish), then close the own gateway and write every
        call record still pending."""
        try:
            await self.server.stop()
        finally:
            try:
                if self._own_gateway is not None:
                    await self._own_gateway.close()
            finally:
                if self._records is not None:
                    self._records.flush()


async def host_api(
    settings: Settings,
    store: Store,
    loop: LoopView | None,
    *,
    gateways: Callable[[], Gateway] | None = None,
    registry: CollectorRegistry | None = None,
) -> HostedApi:
    """`gateways` gives the host's current gateway; None: one is built here and closed at stop.
    With a loop (the daemon), a socket that cannot be bound is retried in the background: healing
    does not wait on the API; without (`mapekd gateway`), it is a ConfigError."""
    registry = registry if registry is not None else CollectorRegistry()
    own: Gateway | None = None
    records: DeferredRecords | None = None
    if gateways is None:
        records = DeferredRecords(store.record_llm_call)
        own = built = gateway_for(settings, store, registry, records)

        def gateways() -> Gateway:
            return built

    fleet = settings.knowledge.fleet
    ctx = ApiContext(
        settings.api,
        gateways,
        registry,
        store,
        loop=loop,
        approvals=store,
        fleet=CachedFleetStatus(fleet, Path(settings.knowledge.path)) if fleet is not None else None,
    )
    try:
        server = await start_api(ctx, retry_bind=loop is not None)
    except BaseException:
        if own is not None:
            await own.close()
        raise
    return HostedApi(server, own, records)


def gateway_for(settings: Settings, store: Store, registry: CollectorRegistry, sink: Sink) -> Gateway:
    """A gateway of its own (`mapekd gateway`): calls recorded through `sink`, the daily budget
    seeded from those already in the store."""
    gateway = build_gateway(settings.llm, registry=registry, sink=sink)
    now = time.time()
    gateway.services.budget.seed_daily(store.llm_spent_since(now - now % DAY_S))
    return gateway

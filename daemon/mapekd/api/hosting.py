"""Hosting the API next to what the process already has: the daemon (with its loop) or
`mapekd gateway` (without). A gateway is built here unless the host passes its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from mapekd.api.context import ApiContext, ApprovalQueue, LoopView
from mapekd.api.server import ApiServer, start_api
from mapekd.config.settings import Settings
from mapekd.knowledge.store import SqliteStore
from mapekd.llm.gateway import Gateway, build_gateway
from mapekd.llm.types import CallRecord


class HostedApi:
    def __init__(self, server: ApiServer, gateway: Gateway, owns_gateway: bool) -> None:
        self.server = server
        self.gateway = gateway
        self._owns_gateway = owns_gateway

    async def stop(self) -> None:
        try:
            await self.server.stop()
        finally:
            if self._owns_gateway:
                await self.gateway.close()


async def host_api(
    settings: Settings,
    store: SqliteStore,
    loop: LoopView | None,
    *,
    gateway: Gateway | None = None,
    registry: CollectorRegistry | None = None,
) -> HostedApi:
    registry = registry if registry is not None else CollectorRegistry()
    owns_gateway = gateway is None
    if gateway is None:

        def record(call: CallRecord) -> None:
            store.record_llm_call(call)

        gateway = build_gateway(settings.llm, registry=registry, sink=record)
    # The knowledge base answers approvals once it keeps them; until then the endpoints say so.
    approvals = store if isinstance(store, ApprovalQueue) else None
    ctx = ApiContext(settings.api, gateway, registry, store, loop=loop, approvals=approvals)
    try:
        server = await start_api(ctx)
    except BaseException:
        if owns_gateway:
            await gateway.close()
        raise
    return HostedApi(server, gateway, owns_gateway)

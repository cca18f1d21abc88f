"""`mapekd gateway`: the HTTP API and the LLM provider layer without the healing loop, for hosts
that only want the gateway. Serves whatever `api.enabled` says; stops on SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from mapekd.config.loader import load_settings
from mapekd.config.settings import Settings

log = logging.getLogger("mapekd.gateway")


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    gateway = sub.add_parser(
        "gateway", parents=[common], help="serve the HTTP API and the LLM gateway, without the healing loop"
    )
    gateway.add_argument("--log-format", choices=["json", "text"], help="json (default) or text")
    gateway.set_defaults(handler=cmd_gateway)


def cmd_gateway(args: argparse.Namespace) -> int:
    from mapekd.eventloop import run as run_on_loop
    from mapekd.logs import setup_logging

    settings = load_settings(args.config, args.env)
    setup_logging(args.log_format or settings.daemon.log_format, settings.daemon.log_level)
    return run_on_loop(serve_gateway(settings), settings.daemon.event_loop)


async def serve_gateway(settings: Settings) -> int:
    from mapekd.api.hosting import host_api
    from mapekd.knowledge.store import SqliteStore

    store = SqliteStore(settings.knowledge.path)
    try:
        api = await host_api(settings, store, None)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        where = dict(zip(("host", "port"), api.server.address, strict=True)) if settings.api.port else {}
        log.info("gateway ready", extra={"event": {"event": "ready", **where}})
        await stop.wait()
        log.info("stopping", extra={"event": {"event": "stopping"}})
        await api.stop()
    finally:
        store.close()
    return 0

"""Read the host once: units, listeners and their processes, mounts, then HTTP on loopback."""

from __future__ import annotations

import asyncio

from mapekd.discover.facts import HostFacts
from mapekd.discover.listeners import read_listeners, read_mounts
from mapekd.discover.probe import probe_http
from mapekd.discover.units import SYSTEMD_RUNTIME_DIR, read_units


async def read_host(
    *, ports: set[int] | None = None, probe: bool = True, runtime_dir: str = SYSTEMD_RUNTIME_DIR
) -> HostFacts:
    facts = HostFacts()
    await read_units(facts, runtime_dir)
    # psutil scans /proc: blocking work, off the loop.
    await asyncio.to_thread(read_listeners, facts, ports)
    await asyncio.to_thread(read_mounts, facts)
    if probe:
        await probe_http(facts)
    else:
        facts.notes.append("HTTP not probed (--no-probe): every port is proposed as TCP")
    return facts

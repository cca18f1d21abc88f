"""Does a listening port speak HTTP? One `GET /` on loopback only, short and bounded.

Only ports reachable on loopback are asked (bound to 127.0.0.0/8, ::1 or every address), and
always at the loopback address: discovery never sends a byte off the host. At most MAX_PROBES
ports, PARALLEL at once, each within TIMEOUT_S (twice that in all); only the answer's head is
read (httpx caps its size), never its body."""

from __future__ import annotations

import asyncio

import httpx

from mapekd.discover.facts import HostFacts

TIMEOUT_S = 1.0
MAX_PROBES = 32
PARALLEL = 8


def loopback_url(address: str, port: int) -> str:
    host = "[::1]" if ":" in address else "127.0.0.1"
    return f"http://{host}:{port}/"


async def probe_http(facts: HostFacts) -> None:
    """Fill facts.http with the status of each loopback port that answered HTTP."""
    targets: dict[int, str] = {}
    for listener in facts.listeners:
        if listener.loopback_reachable and listener.port not in targets:
            targets[listener.port] = loopback_url(listener.address, listener.port)
    if len(targets) > MAX_PROBES:
        facts.notes.append(f"HTTP asked of the lowest {MAX_PROBES} of {len(targets)} loopback ports")
    chosen = sorted(targets.items())[:MAX_PROBES]
    gate = asyncio.Semaphore(PARALLEL)
    timeout = httpx.Timeout(TIMEOUT_S)
    async with httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False) as client:

        async def one(port: int, url: str) -> None:
            async with gate:
                status = await _status(client, url)
            if status is not None:
                facts.http[port] = status

        await asyncio.gather(*(one(port, url) for port, url in chosen))


async def _status(client: httpx.AsyncClient, url: str) -> int | None:
    """The answer's status; None for anything that is not an HTTP answer in time."""
    try:
        async with asyncio.timeout(TIMEOUT_S * 2):
            # The head is all that is read: the body is left unread and the connection closed.
            async with client.stream("GET", url, headers={"User-Agent": "mapekd-discover"}) as response:
                return response.status_code
    except (TimeoutError, httpx.HTTPError, OSError):
        return None

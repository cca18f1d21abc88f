"""The lean transport's connection pool against a real loopback server: which connections are
kept, reused, dropped, and how many requests may run at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest

from mapekd.llm.providers.http_pool import ConnectionPool
from mapekd.llm.providers.http_transport import LeanTransport

from ..fakes.raw_server import Answer, RawRequest, RawServer, gated_chunks, ok, response


def client(server: RawServer, connections: ConnectionPool, **timeouts: float) -> httpx.AsyncClient:
    timeout = httpx.Timeout(10.0, **timeouts)  # type: ignore[arg-type]
    return httpx.AsyncClient(base_url=server.url, transport=LeanTransport(connections), timeout=timeout)


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def close_after_answer(_: RawRequest) -> Answer:
        return Answer(response(b"{}"), close=True)  # no `connection: close`: a keep-alive cut

    async with RawServer(close_after_answer) as server, client(server, ConnectionPool()) as http:
        for _ in range(3):
            assert (await http.get("/")).status_code == 200
    assert server.connections == 3


async def test_an_idle_connection_expires() -> None:
    async with RawServer() as server, client(server, ConnectionPool(keepalive_expiry=0.05)) as http:
        await http.get("/")
        await asyncio.sleep(0.2)
        await http.get("/")
    assert server.connections == 2


async def test_an_answer_left_unread_retires_its_connection() -> None:
    gate = asyncio.Event()
    queue = [gated_chunks(gate, b"one", b"two")]

    async def respond(request: RawRequest) -> Answer:
        return queue.pop(0) if queue else await ok(request)

    async with RawServer(respond) as server, client(server, ConnectionPool()) as http:
        async with http.stream("GET", "/") as streamed:
            await anext(streamed.aiter_raw())  # the rest is never read
        gate.set()
        await http.get("/")
    assert server.connections == 2


async def test_concurrent_requests_get_connections_of_their_own_then_share_them() -> None:
    everyone = asyncio.Event()

    async def respond(request: RawRequest) -> Answer:
        if len(server.requests) >= 3:
            everyone.set()
        await everyone.wait()
        return await ok(request)

    async with RawServer(respond) as server, client(server, ConnectionPool()) as http:
        await asyncio.gather(*(http.get("/") for _ in range(3)))
        await asyncio.gather(*(http.get("/") for _ in range(3)))
    assert server.connections == 3


async def test_beyond_max_connections_a_request_waits_for_a_free_one() -> None:
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def respond(request: RawRequest) -> Answer:
        first_in.set()
        await release.wait()
        return await ok(request)

    async with RawServer(respond) as server, client(server, ConnectionPool(max_connections=1)) as http:
        first = asyncio.create_task(http.get("/"))
        await first_in.wait()
        second = asyncio.create_task(http.get("/"))
        await asyncio.sleep(0.05)
        assert len(server.requests) == 1  # the second is waiting for the only connection
        release.set()
        assert [r.status_code for r in await asyncio.gather(first, second)] == [200, 200]
    assert server.connections == 1


async def test_a_request_that_gets_no_connection_in_time_raises_pool_timeout() -> None:
    async def stall(_: RawRequest) -> Answer:
        return Answer(stall=True)

    pool = ConnectionPool(max_connections=1)
    async with RawServer(stall) as server, client(server, pool, pool=0.1, read=0.5) as http:
        first = asyncio.create_task(http.get("/"))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await http.get("/")
        with pytest.raises(httpx.ReadTimeout):
            await first


@pytest.fixture
def server_thread() -> Iterator[RawServer]:
    """A server on an event loop of its own, for clients that run several loops in turn."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(RawServer().__aenter__(), loop).result(10)
    yield server
    asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_connections_are_not_carried_from_one_event_loop_to_the_next(server_thread: RawServer) -> None:
    http = httpx.AsyncClient(transport=LeanTransport())  # its pool outlives each loop

    async def one_call() -> int:
        return (await http.get(server_thread.url)).status_code

    assert [asyncio.run(one_call()), asyncio.run(one_call())] == [200, 200]
    assert server_thread.connections == 2
    asyncio.run(http.aclose())

"""The services the scenarios break, for real: each fault is what it says, and the service's log
says what went wrong (the evidence that tells one signature's causes apart)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mapekd.evaluation import memcg
from mapekd.evaluation.causes import OOM_LIMIT, break_config, stall_storage
from mapekd.evaluation.scenarios import web_up
from mapekd.evaluation.world import World
from tests.conftest import wait_for


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, f"mapekd-eval-test-{os.getpid()}")
    try:
        yield w
    finally:
        w.stop_all()


def health(w: World, timeout: float = 1.0) -> int | None:
    try:
        return httpx.get(w.url("web"), timeout=timeout).status_code
    except httpx.TimeoutException:
        return None


def logged(w: World, text: str) -> bool:
    path = Path(w.log("web"))
    return path.exists() and text in path.read_text()


def test_a_dead_database_is_a_503_and_the_log_says_connection_refused(world: World) -> None:
    web_up(world)
    world.signal("db", signal.SIGKILL)
    assert wait_for(lambda: health(world) == 503, 10, message="a 503")
    assert logged(world, f"upstream {world.url('db')}: [Errno 111] Connection refused")


def test_a_stalled_data_file_blocks_every_request_and_the_log_says_so(world: World) -> None:
    web_up(world)
    stall_storage(world)
    assert health(world, timeout=1.0) is None  # the answer never comes
    wait_for(lambda: logged(world, f"I/O stall: write to {world.path('web.data')} blocked for"), 10)
    assert world.alive("web")


def test_a_hang_ignores_sigterm_and_answers_nothing(world: World) -> None:
    web_up(world)
    world.signal("web", signal.SIGWINCH)
    wait_for(lambda: logged(world, "deadlock: request workers wait for the cache lock"), 10)
    assert health(world, timeout=1.0) is None
    world.signal("web", signal.SIGTERM)
    assert health(world, timeout=1.0) is None
    assert world.alive("web") and not logged(world, "stopped")


def test_a_broken_config_answers_500_and_a_new_instance_refuses_to_start(world: World) -> None:
    web_up(world)
    break_config(world)
    assert wait_for(lambda: health(world) == 500, 10, message="a 500")
    port = world.port("web")
    argv = world.svc(
        "serve", "--port", str(port), "--pidfile", world.path("other.pid"), "--conf", world.path("web.conf")
    )
    argv[-3:-2] = [*argv[-3:-2], "--log", world.log("web")]
    assert subprocess.run(argv, timeout=30).returncode == 78
    assert logged(
        world, f"config error: {world.path('web.conf')} line 2: unknown key 'listen_addr'; refusing to start"
    )


def test_the_kernel_kills_a_leaking_service_in_its_memory_cgroup(world: World) -> None:
    try:
        world.cgroup = memcg.create(f"{world.tag}-web", OOM_LIMIT)
    except memcg.CgroupUnavailable as exc:
        pytest.skip(f"this machine gives no memory cgroup: {exc}")
    web_up(world)
    pid = world.pid("web")
    assert str(pid) in Path(world.cgroup, "cgroup.procs").read_text()
    world.signal("web", signal.SIGUSR2)
    wait_for(lambda: not world.alive("web"), 20, message="the OOM kill")
    events = Path(
        world.cgroup,
        "memory.events" if (Path(world.cgroup) / "memory.events").exists() else "memory.oom_control",
    )
    counts = dict(line.split() for line in events.read_text().splitlines())
    assert int(counts["oom_kill"]) >= 1

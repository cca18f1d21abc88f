"""The hooks the runner calls: a reload is always closed by READY=1, and nothing without a socket."""

from __future__ import annotations

import pytest
from tests.service.conftest import NotifyListener

from mapekd.schedule.freshness import Freshness
from mapekd.service.link import ServiceLink


async def test_a_refused_reload_still_ends_with_ready(listener: NotifyListener) -> None:
    link = ServiceLink.from_env({"NOTIFY_SOCKET": listener.address}, freshness=Freshness(), pid=1)

    async def failing_reload() -> None:
        raise RuntimeError("broken reload")

    try:
        with pytest.raises(RuntimeError):
            await link.reloading(failing_reload())
    finally:
        link.close()
    ready = listener.wait("READY", "1")
    reloading = listener.received("RELOADING", "1")
    assert reloading and reloading[0].at <= ready.at
    assert "MONOTONIC_USEC" in reloading[0].fields


def test_outside_systemd_there_is_no_watchdog() -> None:
    link = ServiceLink.from_env({"WATCHDOG_USEC": "1000000"}, freshness=Freshness(), pid=1)
    assert link.watchdog is None and not link.sd_notify.enabled


def test_watchdog_armed_only_for_this_process(listener: NotifyListener) -> None:
    env = {"NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "77"}
    mine = ServiceLink.from_env(env, freshness=Freshness(), pid=77)
    other = ServiceLink.from_env(env, freshness=Freshness(), pid=78)
    assert mine.watchdog is not None and mine.watchdog.period == 4.0
    assert other.watchdog is None

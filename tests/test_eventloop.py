"""The event loop of `run` and `gateway`: uvloop by default where installed, asyncio's own on
request, and a clear error when uvloop is demanded but missing (tests/e2e/test_event_loop.py
runs the daemon on both)."""

from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from mapekd.errors import ConfigError
from mapekd.eventloop import loop_factory, run


def test_auto_takes_uvloop_and_asyncio_keeps_the_standard_loop() -> None:
    assert loop_factory("auto") is uvloop.new_event_loop
    assert loop_factory("uvloop") is uvloop.new_event_loop
    assert loop_factory("asyncio") is None

    async def loop_kind() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run(loop_kind(), "auto").startswith("uvloop")
    assert run(loop_kind(), "asyncio").startswith("asyncio")


def test_uvloop_demanded_but_missing_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert loop_factory("auto") is None
    with pytest.raises(ConfigError) as info:
        loop_factory("uvloop")
    assert info.value.path == "daemon.event_loop"

"""Which event loop the long-running commands (`run`, `gateway`) use.

uvloop (libuv, in C) runs the same asyncio code at about two thirds of the CPU of the standard
loop on the daemon's cycle: every health check, worker-thread hop and timer goes through the loop
(bench/footprint.py). `daemon.event_loop: asyncio` keeps the standard one; `auto` takes uvloop
where it is installed (it is a dependency; some platforms have no wheel for it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

from mapekd.errors import ConfigError

T = TypeVar("T")
EventLoopChoice = Literal["auto", "asyncio", "uvloop"]


def loop_factory(choice: EventLoopChoice) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The factory of the loop `choice` names; None for the standard loop."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise ConfigError("uvloop is not installed", path="daemon.event_loop") from None
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T], choice: EventLoopChoice) -> T:
    """asyncio.run on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)

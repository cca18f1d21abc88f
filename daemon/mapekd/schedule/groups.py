"""Check groups: the checks of one interval, collected together by one scheduled job, and the
coalescing that keeps one group from being collected twice at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from mapekd.config.settings import Settings


def check_groups(settings: Settings) -> dict[float, tuple[str, ...]]:
    """The checks by the interval they are collected at (`interval`, else `daemon.interval`)."""
    groups: dict[float, list[str]] = {}
    for check in settings.checks:
        groups.setdefault(check.interval or settings.daemon.interval, []).append(check.name)
    return {interval: tuple(names) for interval, names in sorted(groups.items())}


def group_id(interval: float) -> str:
    """The scheduler's job id of the group collected every `interval` seconds."""
    return f"checks@{interval:g}s"


def every(interval: float) -> str:
    """How status shows a group's trigger."""
    return f"every {interval:g}s"


class GroupRun:
    """Collections of one group, one at a time. Checks asked for while a collection runs (an
    event, a verification, a scheduled tick that found the group busy) are collected once more
    right after it, together: a burst of events costs one extra collection, not one each."""

    def __init__(self, collect: Callable[[frozenset[str]], Awaitable[None]]) -> None:
        self._collect = collect
        self._pending: set[str] = set()
        self.task: asyncio.Task[object] | None = None
        """The task collecting now, None when idle."""

    async def run(self, names: Iterable[str]) -> None:
        """Collect `names` now, or after the collection in progress (then return at once). An
        exception of a collection propagates; what was asked meanwhile waits for the next run."""
        self._pending.update(names)
        if self.task is not None:
            return
        self.task = asyncio.current_task()
        try:
            while self._pending:
                batch, self._pending = frozenset(self._pending), set()
                await self._collect(batch)
        finally:
            self.task = None

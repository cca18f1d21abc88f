"""When each check group last completed a collection of all its checks: what the watchdog and
/readyz judge the loop's health by. A group is late once its last completion is older than its
allowance, a function of its interval: a hung 1 s group is late after seconds, whatever the
slowest group's interval."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mapekd.schedule.groups import group_id

READY_GRACE_S = 10.0


def ready_allowance(interval: float) -> float:
    """How old a group's last collection may be for /readyz: two intervals, at least 10 s more
    than one (a short interval gets room for a slow check and a busy host)."""
    return max(2 * interval, interval + READY_GRACE_S)


@dataclass(frozen=True)
class Late:
    group: str
    age_s: float
    allowed_s: float


class Freshness:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._last: dict[float, float] = {}
        self.last_at: float | None = None
        """Unix time of the latest completion of any group; None before the first."""

    def expect(self, intervals: Iterable[float]) -> None:
        """The groups to follow from now on (at start, after a reload): a new group gets a full
        allowance from now; a group kept by a reload keeps its last completion."""
        now = self.clock()
        self._last = {interval: self._last.get(interval, now) for interval in intervals}

    def completed(self, interval: float) -> None:
        if interval in self._last:
            self._last[interval] = self.clock()
        self.last_at = time.time()

    def late(self, allowance: Callable[[float], float]) -> list[Late]:
        """The groups whose last completion is older than `allowance(interval)`."""
        now = self.clock()
        out = []
        for interval, last in self._last.items():
            allowed = allowance(interval)
            if now - last > allowed:
                out.append(Late(group_id(interval), round(now - last, 1), allowed))
        return out

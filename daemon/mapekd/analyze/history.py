"""Recent samples per (check, target), kept just as long as the rules need to look back."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

from mapekd.model import Sample

FORGET_AFTER_S = 3600.0
"""A target not reported on for this long (or four lookbacks, if longer) is forgotten."""


class History:
    def __init__(self, keep_seconds: float, *, started_at: float, max_per_series: int = 4096):
        self.keep_seconds = keep_seconds
        self.started_at = started_at
        self._series: dict[tuple[str, str], deque[Sample]] = defaultdict(lambda: deque(maxlen=max_per_series))
        self._last_good: dict[str, float] = {}
        self._targets: dict[str, dict[str, None]] = {}
        """The targets of each check in the order first seen (rules ask every cycle)."""

    def add(self, samples: Iterable[Sample]) -> None:
        for sample in samples:
            self._targets.setdefault(sample.check, {})[sample.target] = None
            self._series[(sample.check, sample.target)].append(sample)
            if sample.error is None:
                self._last_good[sample.check] = max(self._last_good.get(sample.check, 0.0), sample.ts)

    def prune(self, now: float) -> None:
        horizon = now - self.keep_seconds
        forgotten = now - max(FORGET_AFTER_S, 4 * self.keep_seconds)
        for key, series in list(self._series.items()):
            # Keep the newest sample even when old: it is the current state of the target...
            while len(series) > 1 and series[0].ts < horizon:
                series.popleft()
            # ... unless the target has not been reported on for long: an alert that went, a
            # series that is no more. Kept, thousands of distinct targets would never leave.
            if not series or series[-1].ts < forgotten:
                del self._series[key]
                self._targets.get(key[0], {}).pop(key[1], None)

    def targets(self, check: str) -> list[str]:
        return [target for target in self._targets.get(check, ()) if self._series.get((check, target))]

    def series(self, check: str, target: str) -> deque[Sample]:
        return self._series[(check, target)]

    def latest(self, check: str, target: str) -> Sample | None:
        series = self._series.get((check, target))
        return series[-1] if series else None

    def last_good(self, check: str) -> float | None:
        """When the check last produced a sample without an error."""
        return self._last_good.get(check)

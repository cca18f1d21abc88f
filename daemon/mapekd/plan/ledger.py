"""What policy counts, kept in memory: remedies started within the trailing window and remedies
running now, by effect, target, action and overall.

An *effect* is what a remedy acts on, as its action says (`Action.effect_of`): the unit a systemd
action restarts, the check whose processes a signal reaches, a command's argv when it names the
target, else the command itself. Counting effects rather than incidents is what keeps a flood of
distinct alerts (each a target of its own) from turning one remedy into hundreds of executions.

The ledger is seeded from the knowledge base when the daemon starts and kept by the loop itself
afterwards: a decision never waits for the disk, and a knowledge base that fails does not reset
what was counted. It outlives a configuration reload (the daemon keeps one).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Started:
    """One remedy started (real or dry-run)."""

    at: float
    action: str
    effect: str
    target: str


class Lease:
    """A remedy counted as running until `release()` (idempotent)."""

    __slots__ = ("_entry", "_ledger")

    def __init__(self, ledger: Ledger, entry: Started) -> None:
        self._ledger: Ledger | None = ledger
        self._entry = entry

    def release(self) -> None:
        if self._ledger is not None:
            self._ledger._leave(self._entry)
            self._ledger = None


class Ledger:
    def __init__(self, keep: float) -> None:
        self.keep = keep
        """How long a start is remembered: the policy window (a reload may change it)."""
        self._started: deque[Started] = deque()
        self.running: Counter[str] = Counter()
        """Remedies running now, keyed `effect:...`, `action:...` and `all`."""

    def seed(self, entries: Iterable[Started]) -> None:
        """Starts read back from the knowledge base (oldest first), at start-up."""
        for entry in sorted(entries, key=lambda e: e.at):
            self._started.append(entry)

    def begin(self, entry: Started) -> Lease:
        """Count `entry` as started and running (call only once admitted: this never refuses)."""
        self._started.append(entry)
        for key in _keys(entry):
            self.running[key] += 1
        return Lease(self, entry)

    def _leave(self, entry: Started) -> None:
        for key in _keys(entry):
            self.running[key] -= 1
            if self.running[key] <= 0:
                del self.running[key]

    def times(
        self,
        now: float,
        window: float,
        *,
        effect: str | None = None,
        target: str | None = None,
        action: str | None = None,
    ) -> list[float]:
        """Start times within [now - window, now], oldest first, of the matching remedies."""
        self._forget(now)
        since = now - window
        return [
            e.at
            for e in self._started
            if e.at >= since
            and (effect is None or e.effect == effect)
            and (target is None or e.target == target)
            and (action is None or e.action == action)
        ]

    def _forget(self, now: float) -> None:
        while self._started and self._started[0].at < now - self.keep:
            self._started.popleft()


def _keys(entry: Started) -> tuple[str, str, str]:
    return (f"effect:{entry.effect}", f"action:{entry.action}", "all")

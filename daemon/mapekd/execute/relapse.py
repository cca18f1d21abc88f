"""A resolution is watched over the rule's window before it counts as a success: a restart that
"works" for one sample while the service dies again a second later has not resolved anything.

When verification finds the rule cleared, the incident is resolved at once (time to mitigate is
not delayed), but its outcome is recorded only when the watch ends: `resolved` when the rule did
not fire again for the signature within the window, `relapsed` when it did (the new incident is a
relapse of this one). The window is the rule's own (its `for`, `within` or `window`), at least
`policy.relapse_watch` and at most `policy.window`. A watch cut short by a shutdown or a reload
records nothing: whether the remedy held is not known, and knowledge must not count it either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mapekd.analyze.incidents import ActiveIncident
from mapekd.config.rules import RuleConfig
from mapekd.config.settings import Settings

log = logging.getLogger("mapekd.decision")
Record = Callable[[str, str], None]
"""(outcome, detail): writes the outcome down once the watch ends."""


def rule_window(config: RuleConfig) -> float:
    """How long a rule looks back before it fires: its debounce, flapping span or trend window."""
    return float(
        getattr(config, "for_", 0.0) + getattr(config, "within", 0.0) + getattr(config, "window", 0.0)
    )


@dataclass(frozen=True)
class Relapse:
    """A new incident of a signature whose resolution was still being watched."""

    earlier: ActiveIncident
    resolved_at: float


@dataclass
class _Watch:
    incident: ActiveIncident
    resolved_at: float
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    relapsed_by: int | None = None
    cut: bool = False


class RelapseWatch:
    def __init__(self, windows: dict[str, float], floor: float, ceiling: float) -> None:
        self.windows = windows
        self.floor = floor
        self.ceiling = ceiling
        self._watching: dict[str, _Watch] = {}
        """signature -> the resolution being watched (the latest one)."""
        self.tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> RelapseWatch:
        windows = {r.name: rule_window(r) for r in settings.rules}
        policy = settings.policy
        return cls(windows, policy.relapse_watch, max(policy.relapse_watch, policy.window))

    def window(self, rule: str) -> float:
        return min(self.ceiling, max(self.floor, self.windows.get(rule, 0.0)))

    def watch(self, incident: ActiveIncident, detail: str, record: Record) -> bool:
        """Watch this resolution; `record` is called when it ends. False: no watch (window 0)."""
        window = self.window(incident.symptom.rule)
        if window <= 0:
            return False
        watch = _Watch(incident, time.time())
        self._watching[incident.symptom.signature] = watch
        task = asyncio.create_task(self._run(watch, window, detail, record))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return True

    def opened(self, incident: ActiveIncident) -> Relapse | None:
        """A new incident opened: a relapse when its signature's resolution is being watched."""
        watch = self._watching.pop(incident.symptom.signature, None)
        if watch is None or watch.ended.is_set():
            return None
        watch.relapsed_by = incident.id
        watch.ended.set()
        return Relapse(watch.incident, watch.resolved_at)

    async def _run(self, watch: _Watch, window: float, detail: str, record: Record) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watch.ended.wait(), window)
        signature = watch.incident.symptom.signature
        if self._watching.get(signature) is watch:
            del self._watching[signature]
        after = time.time() - watch.resolved_at
        if watch.cut:
            log.warning(
                "watch for a relapse cut short: no outcome recorded",
                extra={
                    "event": {"event": "relapse_watch_cut", "incident": watch.incident.id, "after_s": after}
                },
            )
        elif watch.relapsed_by is None:
            record("resolved", f"{detail}; no relapse within {after:.1f}s")
        else:
            again = f"the rule fired again {after:.1f}s later (incident {watch.relapsed_by})"
            record("relapsed", f"{detail}, but {again}")

    async def drain(self, timeout: float) -> None:
        """Shutdown: the watches end now, recording nothing (see the module's docstring)."""
        for watch in self._watching.values():
            watch.cut = True
            watch.ended.set()
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=timeout)

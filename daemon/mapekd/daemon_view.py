"""The API's LoopView over the running daemon: what /api/v1/status and /readyz say about the
loop, and where /api/v1/alerts delivers alerts (the engine's alert inboxes, which kick a cycle).
It lives beside the runner: the API knows only the LoopView Protocol (api/context.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mapekd.llm.gateway import Gateway
from mapekd.monitor.alert_model import Alert
from mapekd.monitor.base import AlertInbox

if TYPE_CHECKING:
    from mapekd.runner import Daemon

MAX_FAILING_LISTED = 20


class DaemonView:
    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    def gateway(self) -> Gateway:
        """The daemon's current gateway (a reload replaces it)."""
        reasoning = self._daemon.reasoning
        gateway = reasoning.gateway if reasoning is not None else None
        assert gateway is not None, "a daemon that serves the API builds its gateway before it serves"
        return gateway

    @property
    def interval(self) -> float:
        return self._daemon.settings.daemon.interval

    def last_cycle_at(self) -> float | None:
        return self._daemon.freshness.last_at

    def late_groups(self, allowance: Callable[[float], float]) -> list[str]:
        return [late.group for late in self._daemon.freshness.late(allowance)]

    def jobs(self) -> list[dict[str, Any]]:
        schedule = self._daemon.schedule
        return schedule.next_runs() if schedule is not None else []

    def checks(self) -> list[dict[str, Any]]:
        engine = self._daemon.engine
        out = []
        for config in self._daemon.settings.checks:
            samples = [engine.history.latest(config.name, t) for t in engine.history.targets(config.name)]
            seen = [s for s in samples if s is not None]
            failing = sorted(s.target for s in seen if not s.ok)
            out.append(
                {
                    "name": config.name,
                    "type": config.type,
                    "ok": bool(seen) and not failing,
                    "targets": len(seen),
                    "failing": failing[:MAX_FAILING_LISTED],
                    "last_sample_at": max((s.ts for s in seen), default=None),
                }
            )
        return out

    def push_alerts(self, alerts: Sequence[Alert]) -> int:
        checks = [c for c in self._daemon.engine.checks.values() if isinstance(c, AlertInbox)]
        for check in checks:
            check.receive(alerts)
        return len(checks)

"""The loop's state in one line for systemd's STATUS= (`systemctl status mapekd` shows it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mapekd.engine import Engine


def describe(engine: Engine, *, cycle_failed: bool = False) -> str:
    """`ok: 12 checks, 1 open incident`, or `degraded: ...` naming what is wrong."""
    checks = _count(len(engine.checks), "check")
    incidents = _count(sum(engine.tracker.active_count().values()), "open incident")
    if cycle_failed:
        return f"degraded: the last cycle failed; {checks}, {incidents}"
    if engine.store.degraded is not None:
        held = _count(engine.store.journal_pending, "write")
        return f"degraded: knowledge base unavailable ({engine.store.degraded}; {held} held), {incidents}"
    failing = [name for name in engine.checks if _failing(engine, name)]
    if failing:
        shown = ", ".join(failing[:3]) + (", ..." if len(failing) > 3 else "")
        return f"degraded: {len(failing)} of {checks} failing ({shown}), {incidents}"
    return f"ok: {checks}, {incidents}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _failing(engine: Engine, check: str) -> bool:
    """The check could not collect on its latest sample of some target (an error sample)."""
    history = engine.history
    for target in history.targets(check):
        latest = history.latest(check, target)
        if latest is not None and latest.error is not None:
            return True
    return False

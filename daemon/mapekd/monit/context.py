"""What translating one monitrc keeps as it goes: the cycle length, the names taken, the
restart limits seen; and what one stanza becomes (items, and notes on what it could not)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from mapekd.discover.services import identifier
from mapekd.monit.conditions import IfStmt

DEFAULT_CYCLE_S = 30


@dataclass
class Out:
    """What one Monit stanza becomes."""

    checks: list[dict[str, Any]] = field(default_factory=list)
    rules: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    """Each rule with the Monit statement it translates."""
    actions: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    pending: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Translations into a check type or key this version lacks: (why, the item)."""
    notes: list[str] = field(default_factory=list)
    """What was not translated, and why."""

    def note(self, stmt_text: str, why: str) -> None:
        self.notes.append(f"not translated: `{stmt_text}`: {why}")


@dataclass
class Ctx:
    cycle_s: int = DEFAULT_CYCLE_S
    cycle_known: bool = False
    taken: set[str] = field(default_factory=set)
    restart_limits: list[tuple[int, int, str]] = field(default_factory=list)
    """(restarts, cycles, the statement) of every `if N restarts within M cycles`."""
    check_types: frozenset[str] = frozenset()
    """The check types this version has (a type it lacks is proposed as a comment)."""
    has_depends_on: bool = False

    def name(self, text: str, suffix: str = "") -> str:
        base = identifier(text) + (f"_{suffix}" if suffix else "")
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        return name

    def held_for(self, stmt: IfStmt) -> dict[str, str]:
        """Monit's `for N cycles` as a rule's `for` (the condition held through N cycles)."""
        if stmt.times <= 1:
            return {}
        return {"for": f"{(stmt.times - 1) * self.cycle_s}s"}

    def cycles_note(self, stmt: IfStmt) -> list[str]:
        if stmt.within > stmt.times:
            return [
                f"Monit: {stmt.times} times within {stmt.within} cycles; here {stmt.times} cycles in a row."
            ]
        return []


def command_action(name: str, program: str, timeout: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"name": name, "type": "command", "argv": shlex.split(program)}
    if timeout:
        action["timeout"] = timeout
    return action

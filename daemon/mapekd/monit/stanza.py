"""The statements every kind of Monit check shares (programs, `depends on`, restart limits,
groups, alerts, port tests), and the walk that hands the others to the kind's own conditions."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mapekd.monit.conditions import IfStmt, parse_if
from mapekd.monit.context import Ctx, Out
from mapekd.monit.parser import Stanza
from mapekd.monit.ports import is_port_test, port_check
from mapekd.monit.programs import Programs

_RESTARTS = re.compile(r"^(\d+) restarts? (?:with|within) (\d+) cycles?$")
REMEDY_VERBS = frozenset({"restart", "start", "stop", "exec"})

Condition = Callable[["StanzaTranslation", IfStmt], bool]
"""A kind's own conditions: True when it translated the statement."""
ConditionPattern = tuple[str, str, Callable[[re.Match[str]], str | None]]
"""(the rule's name suffix, a pattern of the whole condition, its `when` from the match, None
when the match holds a unit this reader does not know)."""


@dataclass
class StanzaTranslation:
    stanza: Stanza
    ctx: Ctx
    check: str
    """The name of the main check the rules read (for a process: the process check)."""
    out: Out = field(default_factory=Out)
    programs: Programs = field(init=False)
    depends: list[str] = field(default_factory=list)
    default_host: str = "localhost"
    down_given: bool = False
    """A process stanza said what to do when it does not exist (else Monit starts it)."""

    def __post_init__(self) -> None:
        self.programs = Programs(self.check, self.ctx, self.out)

    def scan_programs(self) -> None:
        """Programs first: a rule made before its stanza names them must still find them."""
        for statement in self.stanza.body:
            self.programs.see(statement)

    def walk(self, condition: Condition) -> None:
        for statement in self.stanza.body:
            words = statement.words()
            if self.programs.see(statement):
                continue
            if words[0] in ("depends", "depend"):
                self.depends += [t.text for t in statement.tokens[1:] if t.low() not in ("on", ",")]
            elif words[0] == "if":
                stmt = parse_if(statement)
                if stmt is None:
                    self.out.note(statement.text(), "no `then` action this translation knows")
                elif not (self._restart_limit(stmt) or self._port(stmt) or condition(self, stmt)):
                    self.out.note(statement.text(), "no equivalent condition here")
            elif words[0] == "group":
                self.out.notes.append(f"`{statement.text()}`: groups have no equivalent (ignored)")
            else:
                self.out.note(statement.text(), _WHY.get(words[0], "unknown statement"))

    def rule(self, suffix: str, check: str, when: str, stmt: IfStmt, *comments: str) -> None:
        rule: dict[str, Any] = {"name": self.ctx.name(self.check, suffix), "check": check, "when": when}
        rule |= self.ctx.held_for(stmt)
        remedy = self.programs.remedy(stmt.action, stmt) if stmt.action in REMEDY_VERBS else None
        rule["severity"] = "critical" if stmt.action in REMEDY_VERBS else "warning"
        rule["remedies"] = [remedy] if remedy else []
        lines = [f"monit: {stmt.text}", *self.ctx.cycles_note(stmt), *comments]
        if stmt.action in ("unmonitor", "timeout"):
            lines.append(f"`then {stmt.action}`: mapekd keeps watching; no remedy.")
        self.out.rules.append((rule, "\n".join(lines)))

    def by_table(self, stmt: IfStmt, table: list[ConditionPattern]) -> bool:
        """The first translation whose pattern matches the whole condition, as a rule."""
        for suffix, pattern, when_of in table:
            match = re.fullmatch(pattern, stmt.cond)
            when = when_of(match) if match else None
            if when is not None:
                self.rule(suffix, self.check, when, stmt)
                return True
        return False

    def _restart_limit(self, stmt: IfStmt) -> bool:
        match = _RESTARTS.match(stmt.cond)
        if match:
            self.ctx.restart_limits.append((int(match.group(1)), int(match.group(2)), stmt.text))
        return match is not None

    def _port(self, stmt: IfStmt) -> bool:
        if not is_port_test(stmt):
            return False
        name = self.ctx.name(self.check, "port")
        found = port_check(stmt, name, self.default_host)
        if isinstance(found, str):
            self.ctx.taken.discard(name)
            self.out.note(stmt.text, found)
            return True
        kind, check = found
        if kind not in self.ctx.check_types:
            self.ctx.taken.discard(name)
            self.out.pending.append((f"a `{kind}` check, when this version has one ({stmt.text})", check))
            return True
        self.out.checks.append(check)
        protocol = (
            ""
            if kind == "http" or "expect" in check
            else " (a TCP connect: Monit's protocol test is not made)"
        )
        self.rule("port_failed", name, "ok == false", stmt, f"{kind} check{protocol}.")
        return True


_WHY = {
    "alert": "alerts go to `notifications.sinks`, the same for every check",
    "noalert": "alerts go to `notifications.sinks`, the same for every check",
    "every": "every check runs each `daemon.interval` or its own `interval`",
    "mode": "no monitoring modes here",
    "onreboot": "no state kept across reboots here",
}

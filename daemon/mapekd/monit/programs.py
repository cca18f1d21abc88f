"""A service's start, stop and restart programs as whitelisted actions, made only when a rule
names them as a remedy (an unused action would still be a candidate for rules without one).

Monit's restart is stop-then-start; a command action runs one argv. So a restart is the
`restart program` where one is given, else the same init script, `service` or `systemctl` asked
to `restart` (a systemd unit as a `systemd` action); anything else has no restart here."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from mapekd.monit.conditions import IfStmt
from mapekd.monit.context import Ctx, Out, command_action
from mapekd.monit.parser import Statement

_TIMEOUT = re.compile(r"\btimeout (\d+) seconds?\b")
_VERBS = frozenset({"restart", "start", "stop", "reload"})
_UNIT = re.compile(r"[A-Za-z0-9:_.@\\-]{1,247}\.(service|socket|timer|target|mount|path)")


@dataclass
class Programs:
    service: str
    ctx: Ctx
    out: Out
    given: dict[str, Statement] = field(default_factory=dict)
    made: dict[str, str | None] = field(default_factory=dict)

    def see(self, statement: Statement) -> bool:
        words = statement.words()
        if len(words) > 1 and words[0] in ("start", "stop", "restart") and words[1] == "program":
            self.given[words[0]] = statement
            return True
        return False

    def remedy(self, verb: str, stmt: IfStmt) -> str | None:
        """The action for `then restart|start|stop|exec`; None (with a note) when there is none."""
        if verb == "exec":
            name = self.ctx.name(self.service, "exec")
            self.out.actions.append((command_action(name, shlex.join(stmt.argv)), f"then exec: {stmt.text}"))
            if re.search(r"\bthen exec (?:\"[^\"]*\"|\S+) as (?:uid|gid)\b", stmt.text):
                self.out.notes.append(f"`{stmt.text}`: `as uid/gid` not translated (runs as the daemon)")
            return name
        if verb not in self.made:
            self.made[verb] = self._make(verb)
        return self.made[verb]

    def _make(self, verb: str) -> str | None:
        program = self.given.get(verb) or (self.given.get("start") if verb == "restart" else None)
        if program is None:
            self.out.notes.append(f"`then {verb}`: no {verb} program is given, so no remedy")
            return None
        quoted = next((t.text for t in program.tokens if t.quoted), None)
        if quoted is None:
            return None
        argv = shlex.split(quoted)
        if verb == "restart" and program.keyword == "start":
            argv = _restart_of(argv)
            if not argv:
                self.out.notes.append(f"`then restart`: {program.text()} has no one-command restart")
                return None
        name = self.ctx.name(self.service, verb)
        derived = " (its restart)" if verb != program.keyword else ""
        self.out.actions.append((self._action(name, argv, program), program.text() + derived))
        if "uid" in program.words() or "gid" in program.words():
            self.out.notes.append(f"{program.text()}: `as uid/gid` not translated (runs as the daemon)")
        return name

    def _action(self, name: str, argv: list[str], program: Statement) -> dict[str, Any]:
        unit = argv[2] if len(argv) == 3 and "." in argv[2] else f"{argv[-1]}.service"
        systemctl = os.path.basename(argv[0]) == "systemctl" and len(argv) == 3
        if systemctl and argv[1] in _VERBS and _UNIT.fullmatch(unit):
            return {"name": name, "type": "systemd", "verb": argv[1], "units": [unit], "any_target": True}
        timeout = _TIMEOUT.search(" ".join(program.words()))
        return command_action(name, shlex.join(argv), f"{timeout.group(1)}s" if timeout else None)


def _restart_of(start: list[str]) -> list[str]:
    """The restart of a conventional start command; empty when the convention is unknown."""
    name = os.path.basename(start[0])
    if len(start) == 2 and start[0].startswith("/etc/init.d/") and start[1] == "start":
        return [start[0], "restart"]
    if name == "service" and len(start) == 3 and start[2] == "start":
        return [start[0], start[1], "restart"]
    if name == "systemctl" and len(start) == 3 and start[1] == "start":
        return [start[0], "restart", start[2]]
    return []

"""Monit's check kinds with a counterpart here: process, system, filesystem and host. Each
returns the StanzaTranslation it made (its Out holds the items and what it could not translate)."""

from __future__ import annotations

import re
from typing import Any

from mapekd.monit.conditions import NUMBER, IfStmt, size_bytes
from mapekd.monit.context import Ctx
from mapekd.monit.parser import Stanza
from mapekd.monit.stanza import ConditionPattern, StanzaTranslation

_PCT = NUMBER + r" ?%"
_CPU_NOTE = "Monit's process cpu is a share of all CPUs; cpu_percent is of one CPU (as top shows it)."


def process(stanza: Stanza, ctx: Ctx) -> StanzaTranslation:
    service = StanzaTranslation(stanza, ctx, ctx.name(stanza.name))
    check: dict[str, Any] = {"name": service.check, "type": "process", "service": service.check}
    head = stanza.head.words()
    quoted = [t.text for t in stanza.head.tokens if t.quoted]
    if "pidfile" in head and head.index("pidfile") + 1 < len(head):
        check["pidfile"] = stanza.head.tokens[head.index("pidfile") + 1].text
    elif "matching" in head[:-1]:
        pattern = quoted[0] if quoted else stanza.head.tokens[head.index("matching") + 1].text
        literal = pattern.removeprefix("^").removesuffix("$")
        if re.fullmatch(r"[^\\^$*+?()\[\]{}|]+", literal) is None:
            service.out.note(stanza.head.text(), "a regular expression: name the process by `cmdline`")
            return service
        check["cmdline"] = literal
        if literal != pattern:
            service.out.notes.append(
                f"matching {pattern!r}: anchors dropped, a substring of the command line"
            )
    else:
        service.out.note(stanza.head.text(), "no pidfile and no `matching`")
        return service
    service.out.checks.append(check)
    service.scan_programs()
    service.walk(_process_condition)
    if not service.down_given:  # Monit starts a process it finds not running
        down = IfStmt("not running", "start", stanza.head.where, "(a process found not running is started)")
        service.rule("down", service.check, "alive == false", down)
        service.out.rules.insert(0, service.out.rules.pop())
    return service


def _process_condition(service: StanzaTranslation, stmt: IfStmt) -> bool:
    cond = stmt.cond
    if re.fullmatch(r"(?:does )?not exists?", cond):  # the down rule, with this statement's action
        service.rule("down", service.check, "alive == false", stmt)
        service.down_given = True
        return True
    if match := re.fullmatch(rf"(total ?)?cpu(?: usage)? (>|>=) {_PCT}", cond):
        service.rule("cpu", service.check, f"cpu_percent {match.group(2)} {match.group(3)}", stmt, _CPU_NOTE)
        return True
    if match := re.fullmatch(rf"(total ?)?mem(?:ory)?(?: usage)? (>|>=) {NUMBER} ?([a-z]+)", cond):
        size = size_bytes(match.group(3), match.group(4))
        if size is None:
            return False
        alone = " (the process alone: its children are not counted)" if match.group(1) else ""
        service.rule(
            "memory", service.check, f"rss_bytes {match.group(2)} {size}", stmt, f"Resident memory{alone}."
        )
        return True
    return False


def system(stanza: Stanza, ctx: Ctx) -> StanzaTranslation:
    service = StanzaTranslation(stanza, ctx, ctx.name(stanza.name))
    service.out.checks.append({"name": service.check, "type": "host"})
    service.walk(_system_condition)
    return service


_SYSTEM = re.compile(
    r"(?:loadavg \((?P<load>1|5|15)min\)|(?P<what>cpu|memory|swap)(?: usage)?)"
    rf" (?P<op>>|>=|<|<=) {NUMBER} ?%?"
)


def _system_condition(service: StanzaTranslation, stmt: IfStmt) -> bool:
    match = _SYSTEM.fullmatch(stmt.cond)
    if match is None:
        return False  # `per core`, cpu user/system/wait: no such fields here
    field = f"load{match['load']}" if match["load"] else f"{match['what']}_percent"
    service.rule(field.split("_")[0], service.check, f"{field} {match['op']} {match.group(4)}", stmt)
    return True


def filesystem(stanza: Stanza, ctx: Ctx) -> StanzaTranslation:
    service = StanzaTranslation(stanza, ctx, ctx.name(stanza.name))
    head = stanza.head.words()
    path = stanza.head.tokens[head.index("path") + 1].text if "path" in head[:-1] else None
    if path is None or path.startswith("/dev/"):
        service.out.note(stanza.head.text(), "name the mount point (`path /var`), not a device")
        return service
    kind = "filesystem" if "filesystem" in ctx.check_types else "host"
    service.out.checks.append({"name": service.check, "type": kind, "mounts": [path]})
    service.walk(_filesystem_condition)
    return service


def _filesystem_condition(service: StanzaTranslation, stmt: IfStmt) -> bool:
    if service.by_table(stmt, _SPACE):
        return True
    return service.out.checks[0]["type"] == "filesystem" and service.by_table(stmt, _INODES_AND_FLAGS)


def _sized(field: str, match: re.Match[str]) -> str | None:
    size = size_bytes(match[2], match[3])
    return None if size is None else f"{field} {match[1]} {size}"


_SPACE: list[ConditionPattern] = [
    ("space", rf"space(?: usage)? (>|>=) {_PCT}", lambda m: f"used_percent {m[1]} {m[2]}"),
    ("space", rf"space free (<|<=) {_PCT}", lambda m: f"used_percent > {100 - float(m[2]):g}"),
    ("space", rf"space free (<|<=) {NUMBER} ?([a-z]+)", lambda m: _sized("free_bytes", m)),
    (
        "space",
        rf"space(?: usage)? (>|>=) {NUMBER} ?([a-z]+)",
        lambda m: _sized("total_bytes - free_bytes", m),
    ),
]
_INODES_AND_FLAGS: list[ConditionPattern] = [
    ("inodes", rf"inodes?(?: usage)? (>|>=) {_PCT}", lambda m: f"inodes_used_percent {m[1]} {m[2]}"),
    ("inodes", rf"inodes? free (<|<=) {_PCT}", lambda m: f"inodes_used_percent > {100 - float(m[2]):g}"),
    ("flags", r"changed fsflags?", lambda m: "flags_changed == true"),
]


def host(stanza: Stanza, ctx: Ctx) -> StanzaTranslation:
    service = StanzaTranslation(stanza, ctx, ctx.name(stanza.name))
    head = stanza.head.words()
    if "address" in head[:-1]:
        service.default_host = stanza.head.tokens[head.index("address") + 1].text
    service.walk(lambda _service, _stmt: False)
    return service

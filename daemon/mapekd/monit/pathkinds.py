"""Monit's `check file|fifo|directory|program|network` into the check types of the same names,
where this version has them (else they stay comments, pending.py). A uid or gid named by its
name is resolved on the host that translates (the notes say so)."""

from __future__ import annotations

import grp
import pwd
import re
import shlex
from typing import Any

from mapekd.monit.conditions import NUMBER, IfStmt, seconds, size_bytes
from mapekd.monit.context import Ctx
from mapekd.monit.parser import Stanza
from mapekd.monit.pending import untranslated
from mapekd.monit.stanza import ConditionPattern, StanzaTranslation

_TIMEOUT = re.compile(r"\btimeout (\d+) seconds?\b")
_FIELDS = {
    "file": {
        "checksum_changed",
        "exists",
        "mtime_age_s",
        "size_bytes",
        "mode",
        "uid",
        "gid",
        "content_matches",
    },
    "fifo": {"exists", "mtime_age_s", "mode", "uid", "gid"},
    "directory": {"exists", "mtime_age_s"},
}
"""The fields of each type's samples a translated condition may test (monitor/file.py and others)."""


def _head_value(stanza: Stanza, key: str) -> str | None:
    words = stanza.head.words()
    return stanza.head.tokens[words.index(key) + 1].text if key in words[:-1] else None


def path_check(stanza: Stanza, ctx: Ctx) -> StanzaTranslation:
    kind = "file" if stanza.kind == "file" else stanza.kind  # fifo, directory: their own types
    path = _head_value(stanza, "path")
    if kind not in ctx.check_types or path is None:
        return untranslated(stanza, ctx)
    service = StanzaTranslation(stanza, ctx, ctx.name(stanza.name))
    service.out.checks.append({"name": service.check, "type": kind, "path": path})
    service.walk(_path_condition)
    return service


def _path_condition(service: StanzaTranslation, stmt: IfStmt) -> bool:
    cond, check = stmt.cond, service.out.checks[0]
    found = _ATTRIBUTES.get(cond) or _numeric(cond) or _owner_or_mode(cond)
    if (
        found is None
        and (match := re.fullmatch(r'content (?:=|==) "(.*)"', cond))
        and check["type"] == "file"
    ):
        check["content_regex"] = match.group(1)
        found = ("content", "content_matches > 0", [])
    if found is None or found[1].split()[0] not in _FIELDS[check["type"]]:
        return False  # e.g. a directory's permissions: no such field to test
    suffix, when, notes = found
    if suffix == "checksum":
        check["checksum"] = True
    service.rule(suffix, check["name"], when, stmt, *notes)
    return True


_ATTRIBUTES = {
    "failed checksum": ("checksum", "checksum_changed == true", ["Monit: differs from the first sum seen."]),
    "changed checksum": ("checksum", "checksum_changed == true", []),
    "does not exist": ("missing", "exists == false", []),
    "not exist": ("missing", "exists == false", []),
}


def _numeric(cond: str) -> tuple[str, str, list[str]] | None:
    if match := re.fullmatch(rf"timestamp (>|>=) {NUMBER} ([a-z]+)", cond):
        age = seconds(match.group(2), match.group(3))
        return None if age is None else ("age", f"mtime_age_s {match.group(1)} {age}", [])
    if match := re.fullmatch(rf"size (>|>=|<|<=) {NUMBER} ?([a-z]+)", cond):
        size = size_bytes(match.group(2), match.group(3))
        return None if size is None else ("size", f"size_bytes {match.group(1)} {size}", [])
    return None


def _owner_or_mode(cond: str) -> tuple[str, str, list[str]] | None:
    if match := re.fullmatch(r"failed (?:permission|perm) ([0-7]{3,4})", cond):
        return "mode", f"mode != '{int(match.group(1), 8):04o}'", []
    if match := re.fullmatch(r"failed (uid|gid) \"?([\w.-]+)\"?", cond):
        which, who = match.groups()
        number = _id_of(which, who)
        if number is None:
            return None
        note = [] if who.isdigit() else [f"{which} {who} is {number} on the host that translated this."]
        return which, f"{which} != {number}", note
    return None


def _id_of(which: str, who: str) -> int | None:
    if who.isdigit():
        return int(who)
    try:
        return pwd.getpwnam(who).pw_uid if which == "uid" else grp.getgrnam(who).gr_gid
    except KeyError:
        return None


def program(stanza: Stanza, ctx: Ctx) -> StanzaTranslation:
    path = _head_value(stanza, "path")
    if "program" not in ctx.check_types or path is None:
        return untranslated(stanza, ctx)
    service = StanzaTranslation(stanza, ctx, ctx.name(stanza.name))
    check: dict[str, Any] = {"name": service.check, "type": "program", "argv": shlex.split(path)}
    if timeout := _TIMEOUT.search(" ".join(stanza.head.words())):
        check["timeout"] = f"{timeout.group(1)}s"
    service.out.checks.append(check)
    service.walk(_program_condition)
    return service


def _program_condition(service: StanzaTranslation, stmt: IfStmt) -> bool:
    return service.by_table(stmt, _PROGRAM)


_PROGRAM: list[ConditionPattern] = [
    ("status", rf"status (>|>=|<|<=|!=|==) {NUMBER}", lambda m: f"exit_code {m[1]} {m[2]}"),
    ("status", rf"status = {NUMBER}", lambda m: f"exit_code == {m[1]}"),
]


def network(stanza: Stanza, ctx: Ctx) -> StanzaTranslation:
    interface = _head_value(stanza, "interface")
    if "network" not in ctx.check_types or interface is None:
        return untranslated(stanza, ctx)
    service = StanzaTranslation(stanza, ctx, ctx.name(stanza.name))
    service.out.checks.append({"name": service.check, "type": "network", "interfaces": [interface]})
    service.walk(_network_condition)
    return service


def _network_condition(service: StanzaTranslation, stmt: IfStmt) -> bool:
    return service.by_table(stmt, _NETWORK)


def _rate(field: str, match: re.Match[str]) -> str | None:
    rate = size_bytes(match[2], match[3])
    return None if rate is None else f"{field} {match[1]} {rate}"


_NETWORK: list[ConditionPattern] = [
    ("link", r"link down", lambda m: "link_up == false"),
    ("upload", rf"upload (>|>=) {NUMBER} ?([a-z]+)/s", lambda m: _rate("tx_bytes_per_s", m)),
    ("download", rf"download (>|>=) {NUMBER} ?([a-z]+)/s", lambda m: _rate("rx_bytes_per_s", m)),
]

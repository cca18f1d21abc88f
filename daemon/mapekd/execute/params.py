"""Placeholder values for an action, each taken from a validated field, never from free text.

A target becomes `{target}` only if it is 1-255 characters of `A-Z a-z 0-9 _ . : @ / = + -`,
does not start with `-` or `/` (an option or an absolute path of its own in an argv), and has no
`..` segment between the separators `/` and `:` (`disk:/var/../etc`, `alert:../x`): it may be
placed in a path, never lead out of it. Every target the checks make passes (`disk:/var`,
`promql:node/instance=127.0.0.1:9100`, `alert:DiskFull/5b8f0a2e9c1d3f47`): checks sanitise the
names and values they take from outside (labels, alert names) before they make a target."""

from __future__ import annotations

import re

from mapekd.errors import ActionError
from mapekd.model import FieldValue

_SAFE = re.compile(r"^[A-Za-z0-9_.:@/=+-]{1,255}$")
_SEGMENTS = re.compile(r"[/:]")
_UNIT = re.compile(r"^[A-Za-z0-9:_.@\\-]{1,255}\.(service|socket|timer|target|mount|path)$")


def build_params(
    *, incident_id: int, rule: str, check: str, target: str, fields: dict[str, FieldValue]
) -> dict[str, str]:
    params = {"incident": str(incident_id), "rule": rule, "check": check, "target": _safe("target", target)}
    pid = fields.get("pid")
    if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
        params["pid"] = str(pid)
    unit = unit_of(target)
    if unit is not None:
        params["unit"] = unit
    return params


def unit_of(target: str) -> str | None:
    """`systemd:nginx.service` -> `nginx.service` (validated), else None."""
    if not target.startswith("systemd:"):
        return None
    unit = target.removeprefix("systemd:")
    if not _UNIT.match(unit):
        raise ActionError(f"invalid unit name in target {target!r}")
    return unit


def fill(argv: list[str], params: dict[str, str]) -> list[str]:
    """Substitute placeholders; a placeholder without a value is an error, never a blank."""
    try:
        return [arg.format_map(params) for arg in argv]
    except KeyError as exc:
        raise ActionError(f"placeholder {{{exc.args[0]}}} has no value for this target") from None


def _safe(name: str, value: str) -> str:
    if not _SAFE.match(value):
        raise ActionError(f"{name} {value!r} contains characters not allowed in parameters")
    if value[0] in "-/":
        raise ActionError(f"{name} {value!r} starts with {value[0]!r}, not allowed in parameters")
    if ".." in _SEGMENTS.split(value):
        raise ActionError(f"{name} {value!r} has a '..' segment, not allowed in parameters")
    return value

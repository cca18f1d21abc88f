"""Placeholder values for an action, each taken from a validated field, never from free text."""

from __future__ import annotations

import re

from mapekd.errors import ActionError
from mapekd.model import FieldValue

_SAFE = re.compile(r"^[A-Za-z0-9_.:@/=+-]{1,255}$")
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
    return value

"""Listeners grouped into services: one per systemd unit, else one per process (name, user and
command line), else one per port whose process cannot be seen."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mapekd.credentials import Scrubber
from mapekd.discover.facts import HostFacts, Owner, Unit

MAX_CMDLINE = 200
"""Characters of a command line used to match a process: enough to tell interpreters apart."""


@dataclass
class Service:
    name: str
    ports: list[int] = field(default_factory=list)
    owner: Owner | None = None
    unit: Unit | None = None


def services(facts: HostFacts) -> list[Service]:
    found: dict[object, Service] = {}
    for listener in facts.listeners:
        owner = facts.owners.get(listener.pid) if listener.pid is not None else None
        unit = _unit_of(facts, owner)
        key: object = (
            unit.name if unit else (owner.name, owner.user, owner.cmdline) if owner else listener.port
        )
        service = found.setdefault(key, Service("", owner=owner, unit=unit))
        if listener.port not in service.ports:
            service.ports.append(listener.port)
    taken: set[str] = set()
    for service in found.values():
        service.name = _unique(_base_name(service), service.ports[0], taken)
    return list(found.values())


def _unit_of(facts: HostFacts, owner: Owner | None) -> Unit | None:
    """The unit whose cgroup holds the process, else the unit whose MainPID it is."""
    if owner is None:
        return None
    if owner.unit in facts.units:
        return facts.units[owner.unit]
    return next((u for u in facts.units.values() if u.main_pid == owner.pid), None)


def _base_name(service: Service) -> str:
    if service.unit is not None:
        return identifier(service.unit.name.removesuffix(".service"))
    if service.owner is not None:
        return f"{identifier(service.owner.name)}_{service.ports[0]}"
    return f"port_{service.ports[0]}"


def _unique(name: str, port: int, taken: set[str]) -> str:
    if name in taken:
        name = f"{name}_{port}"
    taken.add(name)
    return name


def identifier(text: str) -> str:
    """A check/rule/action name (config/base.py Name), room left for suffixes."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_")[:40] or "service"
    return name if not name[0].isdigit() else f"s_{name}"


def safe_cmdline(cmdline: str) -> str:
    """The command line up to its first secret-looking part (a proposal is a file people copy)."""
    cut = cmdline[:MAX_CMDLINE]
    scrubbed = Scrubber()(cut)
    if scrubbed == cut:
        return cut
    same = next((i for i, (a, b) in enumerate(zip(cut, scrubbed, strict=False)) if a != b), len(cut))
    return cut[:same].rsplit(" ", 1)[0].strip()

"""Listening TCP sockets and the processes that own them (psutil), and the host's real mounts."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import replace

import psutil

from mapekd.discover.facts import HostFacts, Listener, Owner

MAX_LISTENERS = 64
"""Ports proposed at most (the lowest first): a host with more wants a person, not a list."""
_UNIT_IN_CGROUP = re.compile(r"/([A-Za-z0-9:_.@\\-]{1,200}\.service)(?=/|$)")


def read_listeners(facts: HostFacts, ports: set[int] | None) -> None:
    """Fill facts.listeners and facts.owners; `ports`: only these (None: all)."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError) as exc:
        facts.notes.append(f"listening sockets not read: {type(exc).__name__}: {exc}")
        return
    seen: dict[tuple[int, str], Listener] = {}
    for conn in connections:
        if conn.status != psutil.CONN_LISTEN or not conn.laddr:
            continue
        port, address = conn.laddr.port, conn.laddr.ip
        if (ports is None or port in ports) and conn.pid != os.getpid():
            seen.setdefault((port, address), Listener(port, address, conn.pid))
    listeners = sorted(seen.values(), key=lambda lst: (lst.port, lst.address))
    if len({lst.port for lst in listeners}) > MAX_LISTENERS:
        kept = sorted({lst.port for lst in listeners})[:MAX_LISTENERS]
        facts.notes.append(
            f"{len({lst.port for lst in listeners})} listening ports; the lowest {MAX_LISTENERS} kept"
        )
        listeners = [lst for lst in listeners if lst.port in kept]
    facts.listeners = listeners
    if any(lst.pid is None for lst in listeners):
        facts.notes.append("some sockets' processes are not visible to this user (run as root to see them)")
    names = _names_in_use()
    for pid in {lst.pid for lst in listeners if lst.pid is not None}:
        owner = _owner(pid)
        if owner is not None:
            facts.owners[pid] = replace(owner, twins=max(names.get(owner.name, 1) - 1, 0))


def _names_in_use() -> Counter[str]:
    """How many processes bear each name (one scan of /proc)."""
    return Counter(p.info["name"] for p in psutil.process_iter(["name"]) if p.info.get("name"))


def _owner(pid: int) -> Owner | None:
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            name, cmdline = proc.name(), " ".join(proc.cmdline())
            try:
                user: str | None = proc.username()
            except KeyError:  # a uid without a passwd entry
                user = None
    except (psutil.Error, OSError):
        return None  # gone since it was listed, or not ours to read
    return Owner(pid, name, user, cmdline, unit_of_pid(pid))


def unit_of_pid(pid: int) -> str | None:
    """The service whose cgroup holds `pid` (cgroup v2 and v1 name it in the path)."""
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as handle:
            text = handle.read(8192)
    except OSError:
        return None
    for line in text.splitlines():
        # The innermost service: a user's unit sits below user@UID.service, which it is not.
        found = _UNIT_IN_CGROUP.findall(line.split(":", 2)[-1])
        if found:
            return str(found[-1])
    return None


def read_mounts(facts: HostFacts) -> None:
    try:
        partitions = psutil.disk_partitions(all=False)
    except (psutil.Error, OSError) as exc:
        facts.notes.append(f"mounts not read: {type(exc).__name__}: {exc}")
        return
    facts.mounts = list(dict.fromkeys(p.mountpoint for p in partitions))[:32]
    read_only = {p.mountpoint for p in partitions if "ro" in p.opts.split(",")}
    facts.read_only = [m for m in facts.mounts if m in read_only]

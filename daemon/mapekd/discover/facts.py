"""What discovery saw on the host, as plain records (read by propose.py, written by the readers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import ip_address


@dataclass(frozen=True)
class Listener:
    port: int
    address: str
    """The address the socket is bound to (0.0.0.0 and :: mean every address)."""
    pid: int | None
    """None when the socket's process cannot be seen (another user's, without root)."""

    @property
    def loopback_reachable(self) -> bool:
        ip = ip_address(self.address.split("%", 1)[0])
        return ip.is_loopback or ip.is_unspecified


@dataclass(frozen=True)
class Owner:
    """The process behind one or more listeners."""

    pid: int
    name: str
    user: str | None
    cmdline: str
    unit: str | None
    """The systemd service whose cgroup holds the process, if any."""
    twins: int = 0
    """Other processes on the host with the same name: with any, the name alone is ambiguous."""


@dataclass(frozen=True)
class Unit:
    name: str
    restart: str
    """systemd's Restart= (`no`, `on-failure`, `always`...)."""
    main_pid: int | None


@dataclass
class HostFacts:
    listeners: list[Listener] = field(default_factory=list)
    owners: dict[int, Owner] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    systemd: str = "not read"
    """How systemd was found: `running`, or why its units are not known."""
    mounts: list[str] = field(default_factory=list)
    read_only: list[str] = field(default_factory=list)
    """The mounts among `mounts` that are read-only now (by design: a remount is news only for
    the others)."""
    http: dict[int, int] = field(default_factory=dict)
    """Port -> the status `GET /` answered on loopback; ports that did not answer HTTP are absent."""
    notes: list[str] = field(default_factory=list)
    """What was cut or could not be read, for the proposal's header."""

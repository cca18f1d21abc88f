"""From what discovery saw to a proposal: checks, rules (down, hung, disk filling by trend, memory
pressure) and remedies restricted to what is safe: a unit's restart through the allowlist, never
a signal (a process mapekd did not start is not its to signal), never a command it would guess."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import ip_address
from typing import Any

from mapekd.discover.facts import HostFacts
from mapekd.discover.probe import loopback_url
from mapekd.discover.services import Service, safe_cmdline, services
from mapekd.discover.yamlout import Proposal, commented_item

DOWN_FOR = "30s"
HUNG_FOR = "1m"


def propose(facts: HostFacts, *, check_types: Iterable[str] = ()) -> Proposal:
    """`check_types`: those this version has (a `tcp` or `filesystem` check only where it does)."""
    types = frozenset(check_types)
    proposal = Proposal(header=_header(facts))
    _host(proposal, facts, types)
    for service in services(facts):
        _service(proposal, facts, service, tcp_check="tcp" in types)
    return proposal


def _header(facts: HostFacts) -> list[str]:
    return [
        "Proposed by `mapekd discover` from what runs on this host. Nothing here is applied:",
        "read it, keep what you want, then `mapekd check-config -c FILE`.",
        f"systemd: {facts.systemd}.",
        "Remedies are only restarts of systemd units, each allowlisting its one unit. mapekd",
        "never signals a process it did not start: where no unit runs a service, its rules",
        "have no remedy (add a `command` action that restarts it, if you know how).",
        *(f"Note: {note}." for note in facts.notes),
    ]


def _host(proposal: Proposal, facts: HostFacts, check_types: frozenset[str]) -> None:
    disks = "filesystems" if "filesystem" in check_types else "host"
    check: dict[str, Any] = {"name": "host", "type": "host"}
    if facts.mounts and disks == "host":
        check["mounts"] = facts.mounts
    proposal.add("checks", check, "CPU, memory, swap, load; disk usage per mount (targets disk:<mount>).")
    if disks == "filesystems":
        writable = [m for m in facts.mounts if m not in facts.read_only]
        mounts = {"name": "filesystems", "type": "filesystem", "mounts": writable or ["/"]}
        kept_out = f" Read-only now, so left out: {', '.join(facts.read_only)}." if facts.read_only else ""
        proposal.add("checks", mounts, f"Space, inodes, read-only remounts per writable mount.{kept_out}")
        _filesystem_rules(proposal)
    proposal.add(
        "rules",
        {"name": "disk_filling", "check": disks, "type": "trend", "field": "used_percent",
         "threshold": 95, "horizon": "6h", "window": "1h", "severity": "warning"},
        "A mount whose usage, on the trend of the last hour, reaches 95% within 6 hours.",
    )  # fmt: skip
    proposal.add(
        "rules",
        {"name": "memory_pressure", "check": "host", "when": "memory_percent > 90", "for": "5m",
         "severity": "warning"},
        "Memory above 90% for 5 minutes. No remedy: what to stop is a person's choice (any",
        "proposed action waits for an approval).",
    )  # fmt: skip


def _filesystem_rules(proposal: Proposal) -> None:
    proposal.add(
        "rules",
        {"name": "read_only_remount", "check": "filesystems", "when": "read_only == true",
         "severity": "critical"},
        "A mount, writable when this was proposed, now read-only (the kernel remounts so after I/O",
        "errors). No remedy: a person looks.",
    )  # fmt: skip
    proposal.add(
        "rules",
        {"name": "inodes_short", "check": "filesystems", "when": "inodes_used_percent > 90", "for": "5m",
         "severity": "warning"},
        "Inodes above 90% for 5 minutes (many small files: space alone does not show it).",
    )  # fmt: skip


def _service(proposal: Proposal, facts: HostFacts, service: Service, *, tcp_check: bool) -> None:
    restart = f"restart_{service.name}" if service.unit is not None else None
    http_ports = [p for p in service.ports if p in facts.http]
    if service.unit is not None:
        _unit(proposal, service, restart, any_target=bool(http_ports))
    elif service.owner is not None:
        _process(proposal, service)
    for port in http_ports:
        _http(proposal, service, port, facts.http[port], restart, several=len(http_ports) > 1)
    for port in (p for p in service.ports if p not in facts.http):
        _tcp(proposal, facts, service, port, available=tcp_check)


def _unit(proposal: Proposal, service: Service, restart: str | None, *, any_target: bool) -> None:
    assert service.unit is not None and restart is not None
    unit = service.unit
    check = f"{service.name}_unit"
    ports = ", ".join(map(str, service.ports))
    proposal.add("checks", {"name": check, "type": "systemd", "units": [unit.name]},
                 f"{unit.name} (listening on {ports}; Restart={unit.restart}).")  # fmt: skip
    own = unit.restart != "no"
    rule = _rule(f"{service.name}_down", check, "ok == false", DOWN_FOR, [] if own else [restart])
    why = (
        f"No remedy: systemd restarts it itself (Restart={unit.restart}); mapekd observes, never races it."
        if own
        else "Restart=no: nothing else brings it back, so mapekd restarts it."
    )
    proposal.add("rules", rule, f"{unit.name} not active for {DOWN_FOR}.", why)
    action: dict[str, Any] = {"name": restart, "type": "systemd", "verb": "restart", "units": [unit.name]}
    comments = [f"Restart {unit.name}, and only it (the allowlist)."]
    if any_target:
        action["any_target"] = True
        comments.append("any_target: it may also act for the service's HTTP check (its one unit).")
    proposal.add("actions", action, *comments)


def _process(proposal: Proposal, service: Service) -> None:
    owner = service.owner
    assert owner is not None
    check: dict[str, Any] = {"name": service.name, "type": "process"}
    cmdline = safe_cmdline(owner.cmdline)
    if owner.twins and len(cmdline) > len(owner.name):
        check["cmdline"] = cmdline
        how = f"by command line ({owner.twins} other process(es) are named {owner.name!r})"
    else:
        check["match_name"] = owner.name
        how = "by name"
    if owner.user is not None:
        check["user"] = owner.user
    ports = ", ".join(map(str, service.ports))
    proposal.add("checks", check, f"The process listening on {ports} (pid {owner.pid} now), matched {how}.")
    proposal.add(
        "rules",
        {"name": f"{service.name}_down", "check": service.name, "when": "alive == false", "for": DOWN_FOR,
         "severity": "critical"},
        "Gone for 30s. No remedy: no systemd unit runs it, and mapekd signals no process it did not start.",
    )  # fmt: skip


def _http(
    proposal: Proposal, service: Service, port: int, status: int, restart: str | None, *, several: bool
) -> None:
    name = f"{service.name}_http_{port}" if several else f"{service.name}_http"
    check: dict[str, Any] = {
        "name": name,
        "type": "http",
        "url": loopback_url("127.0.0.1", port),
        "timeout": "2s",
    }
    comments = [f"GET / on loopback port {port} answered {status}."]
    if not 200 <= status < 400:
        check["expect_status"] = [status]
        comments.append(f"{status} is expected as seen; better: a health endpoint of the service.")
    proposal.add("checks", check, *comments)
    hung = f"{name.removesuffix('_http')}_hung"
    rule = _rule(hung, name, "ok == false", HUNG_FOR, [restart] if restart else [])
    fix = f"Remedy: {restart}." if restart else "No remedy: no systemd unit runs it."
    proposal.add("rules", rule, f"Port {port} no longer answering HTTP for {HUNG_FOR} (hung, or down).", fix)


def _tcp(proposal: Proposal, facts: HostFacts, service: Service, port: int, *, available: bool) -> None:
    name = f"{service.name}_port_{port}" if len(service.ports) > 1 or service.owner else f"{service.name}_tcp"
    address = next(lst.address for lst in facts.listeners if lst.port == port)
    host = "127.0.0.1" if ip_address(address).is_unspecified else address
    item = {"name": name, "type": "tcp", "host": host, "port": port}
    if available:
        proposal.add("checks", item, f"Port {port} (not HTTP): a TCP connect.")
        return
    proposal.add(
        "checks", None, f"Port {port} on {address} (no HTTP answer on loopback): a TCP connect check,",
        "when this version has the `tcp` check type:", *commented_item(item),
    )  # fmt: skip


def _rule(name: str, check: str, when: str, for_: str, remedies: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "check": check,
        "when": when,
        "for": for_,
        "severity": "critical",
        "remedies": remedies,
    }

"""`mapekd discover` against services the test starts: the proposal names them, matches their
processes (and only them), proposes rules for down, hung, a disk filling and memory pressure,
no remedy it is not allowed (no unit: none at all; never a signal), and `check-config` accepts it
as written. `-o` never overwrites without --force; --diff compares with a configuration."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from mapekd.config.checks import ProcessCheckConfig
from mapekd.config.settings import Settings
from mapekd.discover.facts import HostFacts, Listener, Owner, Unit
from mapekd.discover.gather import read_host
from mapekd.discover.propose import propose
from mapekd.discover.units import parse_show_many
from mapekd.monitor.process import ProcessCheck
from mapekd.monitor.registry import CHECK_TYPES
from mapekd.shared_http import SharedHttp
from tests.cli.conftest import Run
from tests.cli.services import LISTENER, Service, free_port, start

SYSTEMD_RUNS = os.path.isdir("/run/systemd/system")


@pytest.fixture
def http_service(tmp_path: Path) -> Iterator[Service]:
    port = free_port()
    argv = [sys.executable, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    yield from start(argv, port, tmp_path / "http.log", tmp_path)


@pytest.fixture
def tcp_service(tmp_path: Path) -> Iterator[Service]:
    port = free_port()
    yield from start([sys.executable, "-c", LISTENER, str(port)], port, tmp_path / "tcp.log", tmp_path)


def discover(run: Run, *services: Service, extra: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    ports = [arg for s in services for arg in ("--port", str(s.port))]
    code, out, err = run("discover", *ports, *extra)
    assert code == 0, err
    return out, yaml.safe_load(out)


def named(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(i for i in items if i["name"] == name)


def test_a_proposal_for_an_http_server_and_a_tcp_listener(
    run: Run, http_service: Service, tcp_service: Service
) -> None:
    text, data = discover(run, http_service, tcp_service)
    checks, rules = data["checks"], data["rules"]
    web = f"{psutil.Process(http_service.proc.pid).name()}_{http_service.port}"

    assert named(checks, f"{web}_http")["url"] == f"http://127.0.0.1:{http_service.port}/"
    process = named(checks, web)
    assert process["type"] == "process" and process["user"] == getpass.getuser()
    # Many python processes run here (pytest among them): the name alone would be ambiguous.
    assert f"http.server {http_service.port}" in process["cmdline"]
    assert named(rules, f"{web}_down")["when"] == "alive == false"
    assert named(rules, f"{web}_hung") == {
        "name": f"{web}_hung", "check": f"{web}_http", "when": "ok == false", "for": "1m",
        "severity": "critical", "remedies": [],
    }  # fmt: skip
    assert named(rules, "disk_filling")["type"] == "trend"
    assert "memory_percent" in named(rules, "memory_pressure")["when"]
    assert http_service.requests() and len(http_service.requests()) == 1  # one probe, on loopback

    tcp_port = tcp_service.port
    if "tcp" in CHECK_TYPES:
        assert any(c.get("port") == tcp_port for c in checks)
    else:
        assert f"#   port: {tcp_port}" in text and "(no HTTP answer on loopback)" in text
    assert ("systemd: running" if SYSTEMD_RUNS else "systemd: not the init system of this host") in text
    assert all(a["type"] == "systemd" for a in data.get("actions", []))  # never a signal
    assert all(r.get("remedies", []) == [] for r in rules)  # no unit runs them: nothing to restart


async def test_the_proposed_process_checks_find_exactly_the_started_processes(
    run: Run, http_service: Service, tcp_service: Service
) -> None:
    _, data = await asyncio.to_thread(discover, run, http_service, tcp_service)
    processes = [c for c in data["checks"] if c["type"] == "process"]
    assert len(processes) == 2
    found = set()
    for config in processes:
        [sample] = await ProcessCheck.from_config(ProcessCheckConfig(**config), http=SharedHttp()).collect()
        assert sample.fields["alive"] is True and sample.fields["count"] == 1
        found.add(sample.fields["pid"])
    assert found == {http_service.proc.pid, tcp_service.proc.pid}


def test_check_config_accepts_the_file_as_written_and_it_is_never_overwritten(
    run: Run, http_service: Service, tcp_service: Service, tmp_path: Path
) -> None:
    out = tmp_path / "proposal.yaml"
    ports = ("--port", str(http_service.port), "--port", str(tcp_service.port))
    assert run("discover", *ports, "-o", str(out))[0] == 0
    code, said, err = run("check-config", "-c", str(out))
    assert code == 0 and said.startswith("ok: "), err

    out.write_text("mine\n")
    code, _, err = run("discover", *ports, "-o", str(out))
    assert code == 1 and "exists: --force" in err and out.read_text() == "mine\n"
    assert run("discover", *ports, "-o", str(out), "--force")[0] == 0
    assert "checks:" in out.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".proposal")] == []


def test_diff_names_what_is_new_what_is_gone_and_what_differs(
    run: Run, http_service: Service, tmp_path: Path
) -> None:
    current = tmp_path / "mapekd.yaml"
    rules = [{"name": "old_rule", "check": "host", "when": "load1 > 50"}]
    current.write_text(
        yaml.safe_dump({"checks": [{"name": "host", "type": "host", "mounts": ["/nope"]}], "rules": rules})
    )
    code, out, err = run("discover", "--port", str(http_service.port), "--diff", "-c", str(current))
    lines = out.splitlines()

    assert code == 0, err
    web = f"{psutil.Process(http_service.proc.pid).name()}_{http_service.port}"
    assert f"+ checks.{web}_http: proposed, not configured" in lines
    assert "- rules.old_rule: configured, not proposed" in lines
    assert "~ checks.host: differs" in lines and "    -- /nope" in lines
    assert "checks:" not in out  # the comparison only, not the proposal


def test_diff_without_a_configuration_is_a_config_error(run: Run) -> None:
    code, _, err = run("discover", "--port", "1", "--no-probe", "--diff")
    assert code == 2 and "--config" in err


def test_no_probe_sends_nothing(run: Run, http_service: Service) -> None:
    text, data = discover(run, http_service, extra=("--no-probe",))
    assert http_service.requests() == []
    assert not any(c["type"] == "http" for c in data["checks"]) and "--no-probe" in text


def test_systemd_units_with_restart_and_main_pid_are_read_from_systemctl_show() -> None:
    shown = "Id=nginx.service\nRestart=on-failure\nMainPID=812\n\n"
    shown += "Id=cron.service\nRestart=no\nMainPID=0\n\nId=bad unit\n"
    units = parse_show_many(shown)
    assert {u.name: (u.restart, u.main_pid) for u in units.values()} == {
        "nginx.service": ("on-failure", 812),
        "cron.service": ("no", None),
    }


def unit_facts(restart: str) -> HostFacts:
    """What a host running nginx under systemd looks like to discovery (systemd does not run here)."""
    owner = Owner(812, "nginx", "root", "nginx: master process /usr/sbin/nginx", "nginx.service", twins=2)
    return HostFacts(
        listeners=[Listener(80, "0.0.0.0", 812), Listener(5432, "127.0.0.1", None)],
        owners={812: owner},
        units={"nginx.service": Unit("nginx.service", restart, 812)},
        systemd="running",
        mounts=["/", "/var"],
        http={80: 200},
    )


@pytest.mark.parametrize(("restart", "down_remedies"), [("on-failure", []), ("no", ["restart_nginx"])])
def test_a_unit_is_restarted_through_its_allowlist_and_systemd_is_not_raced(
    restart: str, down_remedies: list[str]
) -> None:
    proposal = propose(unit_facts(restart))
    data = proposal.data()
    Settings.model_validate(data)  # what check-config builds from

    assert data["actions"] == [
        {
            "name": "restart_nginx",
            "type": "systemd",
            "verb": "restart",
            "units": ["nginx.service"],
            "any_target": True,
        }
    ]
    rules = {r["name"]: r for r in data["rules"]}
    assert rules["nginx_down"]["check"] == "nginx_unit" and rules["nginx_down"]["remedies"] == down_remedies
    assert rules["nginx_hung"]["check"] == "nginx_http" and rules["nginx_hung"]["remedies"] == [
        "restart_nginx"
    ]
    assert "port_5432_hung" not in rules  # not HTTP, and its process is not visible: no rule
    assert {c["name"] for c in data["checks"]} == {"host", "nginx_unit", "nginx_http"}
    assert named(data["checks"], "host")["mounts"] == ["/", "/var"]


def test_where_the_filesystem_type_exists_writable_mounts_get_inode_and_read_only_rules() -> None:
    facts = unit_facts("no")
    facts.read_only = ["/var"]
    data = propose(facts, check_types={"filesystem", *CHECK_TYPES}).data()

    assert named(data["checks"], "filesystems") == {
        "name": "filesystems",
        "type": "filesystem",
        "mounts": ["/"],
    }
    assert "mounts" not in named(data["checks"], "host")  # the host check keeps cpu, memory, load
    rules = {r["name"]: r for r in data["rules"]}
    assert (
        rules["disk_filling"]["check"] == "filesystems"
        and rules["read_only_remount"]["when"] == "read_only == true"
    )
    assert rules["inodes_short"]["when"] == "inodes_used_percent > 90"
    if "filesystem" in CHECK_TYPES:
        Settings.model_validate(data)
    assert "filesystems" not in {c["name"] for c in propose(facts).data()["checks"]}  # without the type


async def test_a_host_without_systemd_is_said_so_and_discovery_goes_on(tmp_path: Path) -> None:
    facts = await read_host(ports={1}, probe=False, runtime_dir=str(tmp_path / "no-systemd-here"))
    assert facts.systemd == "not the init system of this host: no units proposed" and facts.units == {}
    assert facts.mounts  # the rest of the host was read all the same

"""The embedded model never holds the daemon up: two services in a crash loop keep SmolLM2
analysing (one analysis running, another waiting for its turn), then SIGTERM ends the daemon
within 2 s (asserted under 5 s), and no model process is left behind."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil

from mapekd.llm.providers.local_llama_worker import CHILD_MODULE
from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon, Service, base_config
from tests.llm.conftest import requires_llama

pytestmark = requires_llama


def model_children(daemon: Daemon) -> list[psutil.Process]:
    assert daemon.proc is not None
    found = []
    for child in psutil.Process(daemon.proc.pid).children():
        try:
            if CHILD_MODULE in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass  # ended meanwhile
    return found


def generating(daemon: Daemon, seen: set[int]) -> bool:
    """A model process of the daemon has been computing for a while (it is past loading)."""
    for child in model_children(daemon):
        seen.add(child.pid)
        try:
            if sum(child.cpu_times()[:2]) > 0.3:
                return True
        except psutil.Error:
            pass
    return False


def crash_loop_config(tmp: Path, services: list[Service]) -> dict[str, Any]:
    config = base_config(tmp, services[0], cooldown="0s", max_actions=100)
    config["checks"], config["rules"], config["actions"] = [], [], []
    for i, service in enumerate(services):
        single = base_config(tmp, service)
        for section in ("checks", "rules", "actions"):
            [item] = [x for x in single[section] if section != "checks" or x["type"] == "process"]
            item["name"] = f"{item['name']}_{i}"
            config[section].append(item)
        config["rules"][-1]["check"] = f"svc_process_{i}"
        config["rules"][-1]["remedies"] = [f"start_svc_{i}"]
        config["actions"][-1]["log_file"] = str(tmp / f"svc{i}.log")
    config["plan"] = {"analyze": True}
    config["llm"] = {"embedded": True, "analyze_deadline": "300s"}
    return config


def test_sigterm_ends_the_daemon_at_once_while_the_model_analyses_a_crash_loop(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    services = [Service(tmp_path / f"s{i}", free_port(), crash_after=2.0) for i in range(2)]
    try:
        for service in services:
            service.pidfile.parent.mkdir()
            service.start()
        daemon = Daemon(tmp_path, crash_loop_config(tmp_path, services))
        daemons.append(daemon)
        daemon.start()
        seen: set[int] = set()
        wait_for(lambda: len(daemon.events("decision")) >= 3, timeout=60, message="a crash loop")
        wait_for(lambda: generating(daemon, seen), timeout=120, message="the model generating")
        assert daemon.proc is not None
        started = time.monotonic()
        assert daemon.stop() == 0
        stopped_in = time.monotonic() - started
    finally:
        for service in services:
            service.stop_all()
    assert seen and not [pid for pid in seen if psutil.pid_exists(pid)], "a model process outlived the daemon"
    assert stopped_in < 5.0, f"SIGTERM took {stopped_in:.1f}s with the model analysing"

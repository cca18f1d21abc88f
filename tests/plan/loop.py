"""An in-process MAPE-K loop for decision tests: a real engine on a real SQLite file, real
processes the test starts (watched through a pidfile), real command actions that leave marker
files, and the LLM of the test's choosing (a loopback server, the real SmolLM2, or none)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from mapekd.config.loader import load_settings
from mapekd.engine import Engine
from mapekd.knowledge.store import SqliteStore
from mapekd.reasoning import Reasoning
from mapekd.shared_http import SharedHttp

SERVICE = "import time; time.sleep(120)"


def service_argv(tmp: Path) -> list[str]:
    return [sys.executable, "-c", SERVICE, f"mapekd-test-service-{tmp.name}"]


def marker_action(tmp: Path, name: str, *, restarts: bool = False, **extra: Any) -> dict[str, Any]:
    """A command action that leaves a marker file named after it; a restarting one also starts the
    service again (a new process of the test's own, its pid in the pidfile)."""
    code = f"open({str(tmp / ('ran-' + name))!r}, 'a').write('x')"
    if restarts:
        code += (
            f"; import subprocess; p = subprocess.Popen({service_argv(tmp)!r}, start_new_session=True, "
            "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
            f"; open({str(tmp / 'svc.pid')!r}, 'w').write(str(p.pid))"
        )
    return {"name": name, "type": "command", "argv": [sys.executable, "-c", code], "settle": "300ms", **extra}


def base_config(tmp: Path, llm_section: dict[str, Any] | None, **plan: Any) -> dict[str, Any]:
    return {
        "daemon": {"interval": "1s"},
        "checks": [{"name": "svc", "type": "process", "pidfile": str(tmp / "svc.pid")}],
        "rules": [
            {
                "name": "svc_down",
                "check": "svc",
                "when": "alive == false",
                "severity": "critical",
                "remedies": ["restart_a", "restart_b"],
            }
        ],
        "actions": [
            marker_action(tmp, "restart_a", restarts=True),
            marker_action(tmp, "restart_b", restarts=True),
            marker_action(tmp, "wipe"),
        ],
        "policy": {"cooldown": "0s", "max_actions": 100, "window": "1h"},
        "plan": {"llm": "auto", "analyze": False, **plan},
        "knowledge": {"path": str(tmp / "kb.db")},
        "llm": llm_section if llm_section is not None else {"embedded": False},
    }


@dataclass
class Loop:
    tmp: Path
    engine: Engine
    store: SqliteStore
    reasoning: Reasoning

    def ran(self) -> set[str]:
        return {p.name.removeprefix("ran-") for p in self.tmp.glob("ran-*")}

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return self.store._rows(sql)

    def start_service(self) -> None:
        self.start_service_with(service_argv(self.tmp))

    def start_service_with(self, argv: list[str]) -> None:
        proc = subprocess.Popen(argv, start_new_session=True)
        (self.tmp / "svc.pid").write_text(f"{proc.pid}\n")

    async def kill_service(self) -> None:
        """SIGKILL the service and wait until it has died (a zombie or gone): the signal is
        delivered asynchronously, and a cycle right after os.kill may still see it running."""
        pid = int((self.tmp / "svc.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        for _ in range(500):
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
            except OSError:
                return
            if state in ("Z", "X"):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"pid {pid} still alive 5 s after SIGKILL")

    async def incident_decided(self) -> None:
        """Kill the service (starting it first if it is not running), run the cycle that sees it,
        wait for the decision, the action and its verification, and let the incident resolve."""
        if not self.alive():
            self.start_service()
        await self.engine.cycle()
        await self.kill_service()
        await self.engine.cycle()
        await self.settle()
        await self.engine.cycle()

    def alive(self) -> bool:
        try:
            pid = int((self.tmp / "svc.pid").read_text())
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except (OSError, ValueError, psutil.Error):
            return False

    def stop_services(self) -> None:
        token = f"mapekd-test-service-{self.tmp.name}"
        for proc in psutil.process_iter(["cmdline"]):
            if token in (proc.info["cmdline"] or []):
                proc.kill()

    async def settle(self) -> None:
        healer = self.engine.healer
        for _ in range(200):
            tasks = [
                *healer.planning.tasks.values(),
                *healer.analyzing.tasks.values(),
                *healer.verifier.tasks.values(),
            ]
            if not tasks:
                return
            await asyncio.wait(tasks, timeout=60)
        raise AssertionError("decisions did not settle")


@asynccontextmanager
async def running_loop(
    tmp: Path, config: dict[str, Any], env: dict[str, str] | None = None
) -> AsyncIterator[Loop]:
    path = tmp / "mapekd.yaml"
    path.write_text(yaml.safe_dump(config))
    settings = load_settings(path, env or {})
    store = SqliteStore(settings.knowledge.path)
    async with httpx.AsyncClient() as http:
        reasoning = Reasoning.build(settings, store)
        engine = Engine.build(
            settings,
            store,
            SharedHttp(http),
            dry_run=False,
            base_env={"PATH": os.environ["PATH"]},
            planner=reasoning.planner,
        )
        engine.start_watching(lambda name: None)
        try:
            yield Loop(tmp, engine, store, reasoning)
        finally:
            Loop(tmp, engine, store, reasoning).stop_services()
            engine.stop_watching()
            await engine.healer.drain(10)
            await reasoning.close()
            store.close()

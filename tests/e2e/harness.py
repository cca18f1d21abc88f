"""End-to-end harness: a real demo service and a real `mapekd run` subprocess, both started by
the test; every process the test (or the daemon on its behalf) starts is stopped at the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from tests.conftest import wait_for


class Service:
    """The demo HTTP service, identified by its own pidfile (so we never touch anything else)."""

    def __init__(self, tmp: Path, port: int, crash_after: float | None = None) -> None:
        self.port = port
        self.pidfile = tmp / "svc.pid"
        self.url = f"http://127.0.0.1:{port}/health"
        self.argv = [sys.executable, "-m", "mapekd.demo", "--port", str(port), "--pidfile", str(self.pidfile)]
        if crash_after is not None:
            self.argv += ["--crash-after", str(crash_after)]
        self.seen_pids: set[int] = set()

    def start(self) -> int:
        proc = subprocess.Popen(
            self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_for(self.healthy, message="service healthy")
        self.seen_pids.add(proc.pid)
        return proc.pid

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        self.seen_pids.add(pid)
        return pid

    def healthy(self) -> bool:
        try:
            return httpx.get(self.url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop_all(self) -> None:
        self.pid()
        for pid in self.seen_pids:
            try:
                proc = psutil.Process(pid)
                if str(self.pidfile) in " ".join(proc.cmdline()):
                    proc.kill()
                    proc.wait(5)
            except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.TimeoutExpired):
                pass


class Daemon:
    """`mapekd run` as a subprocess with its JSON log captured to a file."""

    def __init__(self, tmp: Path, config: dict[str, Any], *extra: str) -> None:
        self.tmp = tmp
        self.config_path = tmp / "mapekd.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = tmp / "daemon.log"
        self.extra = list(extra)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "mapekd", "run", "--config", str(self.config_path), *self.extra],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.tmp,
            )
        wait_for(lambda: self.events("ready"), message="daemon's first cycle")

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for raw in self.log_path.read_text().splitlines():
            try:
                out.append(json.loads(raw))
            except json.JSONDecodeError:
                out.append({"raw": raw})
        return out

    def events(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [
            e for e in self.lines() if e.get("event") == kind and all(e.get(k) == v for k, v in match.items())
        ]

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)

    def kb(self, *args: str) -> Any:
        result = subprocess.run(
            [sys.executable, "-m", "mapekd", "kb", *args, "--json", "--config", str(self.config_path)],
            capture_output=True,
            text=True,
            cwd=self.tmp,
            check=True,
        )
        return json.loads(result.stdout)

    def incident(self, signature: str) -> dict[str, Any] | None:
        rows = [r for r in self.kb("incidents", "--since", "1h") if r["signature"] == signature]
        return self.kb("show", str(rows[-1]["id"])) if rows else None


def base_config(tmp: Path, service: Service, **policy: Any) -> dict[str, Any]:
    """Watch the service's process (pidfile) and HTTP health; restart it by a detached command."""
    return {
        "daemon": {"interval": "1s", "shutdown_grace": "10s"},
        "checks": [
            {
                "name": "svc_process",
                "type": "process",
                "pidfile": str(service.pidfile),
                "cmdline": str(service.pidfile),
            },
            {"name": "svc_http", "type": "http", "url": service.url, "timeout": "1s"},
        ],
        "rules": [
            {
                "name": "svc_down",
                "check": "svc_process",
                "when": "alive == false",
                "severity": "critical",
                "remedies": ["start_svc"],
            },
        ],
        "actions": [
            {
                "name": "start_svc",
                "type": "command",
                "argv": service.argv,
                "detach": True,
                "detach_grace": "300ms",
                "settle": "1500ms",
                "log_file": str(tmp / "svc.log"),
            },
        ],
        "policy": {"cooldown": "2s", "max_actions": 3, "window": "5m", **policy},
        "knowledge": {"path": str(tmp / "kb.db")},
        # The loop's mechanics, without an LLM: tests/plan covers the decisions a model takes part in.
        "llm": {"embedded": False},
    }


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    os.kill(pid, sig)

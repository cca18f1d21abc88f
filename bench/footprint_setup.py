"""The 20 checks of the footprint benchmark, written once for mapekd and once for Monit.

1 host check, 9 process checks on 9 sleeping processes the benchmark starts (each with its own
process name, a symlink to `sleep`, and its own pidfile), 10 HTTP checks on one loopback server.
`match` picks how the processes are found: `pidfile`, `name` (a process-table scan per cycle)
or `mixed` (odd ones by pidfile, even ones by name). The host thresholds are set where a busy
benchmark machine cannot reach them: the rules are evaluated every cycle, and never fire."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

PROCESSES = 9
HTTP_CHECKS = 10
MATCH_MODES = ("pidfile", "name", "mixed")


@dataclass
class Sleepers:
    """The watched processes: `fp_sleep_N`, each a real `sleep` under its own name."""

    tmp: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> None:
        sleep = shutil.which("sleep")
        assert sleep is not None, "coreutils sleep is needed"
        for i in range(1, PROCESSES + 1):
            exe = self.tmp / self.name(i)
            exe.symlink_to(sleep)
            proc = subprocess.Popen([str(exe), "86400"], start_new_session=True)
            self.pidfile(i).write_text(f"{proc.pid}\n")
            self.procs.append(proc)

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait(10)

    def name(self, i: int) -> str:
        return f"fp_sleep_{i}"

    def pidfile(self, i: int) -> Path:
        return self.tmp / f"{self.name(i)}.pid"


class HealthServer(ThreadingHTTPServer):
    """The loopback server of the HTTP checks: answers 200 and counts the requests from Monit (its
    User-Agent) and from everyone else (mapekd), so each daemon's cycle rate can be checked."""

    request_queue_size = 128  # ten checks connect at once: the default 5 drops SYNs
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/health"

    def count(self, side: str) -> int:
        with self.lock:
            return self.requests[side]


class _Handler(BaseHTTPRequestHandler):
    server: HealthServer

    def do_GET(self) -> None:
        with self.server.lock:
            agent = self.headers.get("User-Agent") or ""
            self.server.requests["monit" if agent.startswith("Monit") else "mapekd"] += 1
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


def by_pidfile(match: str, i: int) -> bool:
    return match == "pidfile" or (match == "mixed" and i % 2 == 1)


def mapekd_config(tmp: Path, sleepers: Sleepers, url: str, interval: float, match: str) -> dict[str, Any]:
    checks: list[dict[str, Any]] = [{"name": "host", "type": "host"}]
    rules: list[dict[str, Any]] = [
        {"name": "cpu_high", "check": "host", "when": "cpu_percent > 99.9", "for": "30s"},
        {"name": "memory_high", "check": "host", "when": "memory_percent > 99"},
        {"name": "load_high", "check": "host", "when": "load1 > 64"},
    ]
    for i in range(1, PROCESSES + 1):
        name = sleepers.name(i)
        how = {"pidfile": str(sleepers.pidfile(i))} if by_pidfile(match, i) else {"match_name": name}
        checks.append({"name": name, "type": "process", **how})
        rules.append({"name": f"{name}_down", "check": name, "when": "alive == false"})
    for i in range(1, HTTP_CHECKS + 1):
        checks.append({"name": f"fp_http_{i}", "type": "http", "url": url})
        rules.append({"name": f"fp_http_{i}_down", "check": f"fp_http_{i}", "when": "ok == false"})
    return {
        "daemon": {"interval": f"{interval * 1000:g}ms"},
        "checks": checks,
        "rules": rules,
        "knowledge": {"path": str(tmp / "mapekd.db")},
    }


def write_mapekd(tmp: Path, config: dict[str, Any], record_samples: bool | None) -> Path:
    if record_samples is not None:
        config["knowledge"]["record_samples"] = record_samples
    path = tmp / "mapekd.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def monit_control(tmp: Path, sleepers: Sleepers, port: int, interval: float, match: str) -> Path:
    """A control file with its own pid, id, state and log files in `tmp`; mode 0600 (Monit
    refuses a control file others can read)."""
    lines = [
        f"set daemon {max(1, round(interval))}",
        f"set logfile {tmp}/monit.log",
        f"set pidfile {tmp}/monit.pid",
        f"set idfile {tmp}/monit.id",
        f"set statefile {tmp}/monit.state",
        "check system fp_host",
        "  if cpu usage > 99.9% for 30 cycles then alert",
        "  if memory usage > 99% then alert",
        "  if loadavg (1min) > 64 then alert",
    ]
    for i in range(1, PROCESSES + 1):
        name = sleepers.name(i)
        how = f'with pidfile "{sleepers.pidfile(i)}"' if by_pidfile(match, i) else f'matching "{name} "'
        lines += [f"check process {name} {how}", "  if does not exist then alert"]
    for i in range(1, HTTP_CHECKS + 1):
        lines += [
            f"check host fp_http_{i} with address 127.0.0.1",
            f'  if failed port {port} protocol http request "/health" then alert',
        ]
    path = tmp / "monitrc"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path

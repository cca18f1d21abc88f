"""Loop benchmarks: crash MTTR (SIGKILL to HTTP healthy again) at a 5 s cycle, and the daemon's
idle RSS and CPU with the example configuration.

    python bench/loop_mttr.py [--runs 10] [--idle-seconds 60]

Prints a table and writes bench/results/loop.json. Everything runs on loopback; every process
it starts is its own and is stopped at the end."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(cond: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := cond():
            return value
        time.sleep(0.01)
    raise TimeoutError("condition not met")


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def mttr(runs: int, tmp: Path) -> list[float]:
    port, pidfile = free_port(), tmp / "svc.pid"
    argv = [sys.executable, "-m", "mapekd.demo", "--port", str(port), "--pidfile", str(pidfile)]
    url = f"http://127.0.0.1:{port}/health"
    config = {
        "daemon": {"interval": "5s"},
        "checks": [{"name": "svc", "type": "process", "pidfile": str(pidfile)}],
        "rules": [{"name": "down", "check": "svc", "when": "alive == false", "remedies": ["start"]}],
        "actions": [
            {
                "name": "start",
                "type": "command",
                "argv": argv,
                "detach": True,
                "detach_grace": "100ms",
                "settle": "500ms",
            }
        ],
        "policy": {"cooldown": "1s", "max_actions": 1000, "window": "1h"},
        "knowledge": {"path": str(tmp / "kb.db"), "record_samples": False},
    }
    (tmp / "mttr.yaml").write_text(yaml.safe_dump(config))
    subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)
    wait(lambda: healthy(url))
    daemon = subprocess.Popen(
        [sys.executable, "-m", "mapekd", "run", "--config", str(tmp / "mttr.yaml")], stderr=subprocess.DEVNULL
    )
    results = []
    try:
        time.sleep(6)  # let the first cycle arm the pidfd watch
        for _ in range(runs):
            pid = wait(lambda: read_pid(pidfile))
            killed = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            wait(lambda pid=pid: read_pid(pidfile) != pid and healthy(url))
            results.append(time.monotonic() - killed)
            time.sleep(2.5)  # past the cooldown and the verification settle
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
        if (pid := read_pid(pidfile)) is not None:
            os.kill(pid, signal.SIGKILL)
    return results


def idle(seconds: float, tmp: Path) -> dict[str, float]:
    config = yaml.safe_load((REPO / "config" / "example.yaml").read_text())
    config["knowledge"]["path"] = str(tmp / "idle.db")
    (tmp / "idle.yaml").write_text(yaml.safe_dump(config))
    daemon = subprocess.Popen(
        [sys.executable, "-m", "mapekd", "run", "--dry-run", "--config", str(tmp / "idle.yaml")],
        cwd=tmp,
        stderr=subprocess.DEVNULL,
    )
    proc = psutil.Process(daemon.pid)
    try:
        time.sleep(5)  # start-up and imports are not idle
        start_cpu, start = sum(proc.cpu_times()[:2]), time.monotonic()
        time.sleep(seconds)
        cpu = sum(proc.cpu_times()[:2]) - start_cpu
        elapsed = time.monotonic() - start
        rss = proc.memory_info().rss
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
    return {
        "idle_cpu_percent": round(100 * cpu / elapsed, 3),
        "idle_rss_mib": round(rss / 2**20, 1),
        "idle_seconds": round(elapsed, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        times = mttr(args.runs, Path(tmp))
        report: dict[str, Any] = {
            "mttr_runs": len(times),
            "cycle_interval_s": 5.0,
            "mttr_median_s": round(statistics.median(times), 3),
            "mttr_min_s": round(min(times), 3),
            "mttr_max_s": round(max(times), 3),
            **idle(args.idle_seconds, Path(tmp)),
        }
    for key, value in report.items():
        print(f"{key:<20} {value}")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "loop.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

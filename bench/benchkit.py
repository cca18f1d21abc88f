"""Helpers shared by the loop benchmarks: ports, polling, pidfiles, processes and their cost.

Every process started through here is the benchmark's own; `stop` ends exactly that process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(cond: Callable[[], T], timeout: float = 60.0, step: float = 0.005) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := cond():
            return value
        time.sleep(step)
    raise TimeoutError("condition not met")


def healthy(url: str, client: httpx.Client | None = None) -> bool:
    try:
        get = client.get if client is not None else httpx.get
        return get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def mapekd_argv(config: Path, *extra: str, python: str = sys.executable) -> list[str]:
    return [python, "-m", "mapekd", "run", "--config", str(config), *extra]


def tree_env(tree: Path) -> dict[str, str]:
    """The environment that runs mapekd from `tree` (its daemon/ first on the path)."""
    return {**os.environ, "PYTHONPATH": str(tree / "daemon")}


def demo_argv(port: int, pidfile: Path) -> list[str]:
    return [sys.executable, "-m", "mapekd.demo", "--port", str(port), "--pidfile", str(pidfile)]


def start(
    argv: list[str], log: Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
        )
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def kill_pid(pid: int | None) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def cpu_seconds(proc: psutil.Process) -> float:
    """User + system time of the process, its threads and its waited-for children."""
    t = proc.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def memory_mib(proc: psutil.Process) -> dict[str, float]:
    info = proc.memory_full_info()
    out = {"rss_mib": info.rss / 2**20, "uss_mib": info.uss / 2**20}
    if hasattr(info, "pss"):
        out["pss_mib"] = info.pss / 2**20
    return out


def summary(values: list[float]) -> dict[str, Any]:
    """median, p95 (nearest rank), max and n of a list of durations, in seconds."""
    ordered = sorted(values)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    return {
        "n": len(ordered),
        "median_s": round(statistics.median(ordered), 4),
        "p95_s": round(p95, 4),
        "max_s": round(ordered[-1], 4),
    }


def write_json(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {path}")


def print_rows(rows: dict[str, dict[str, Any]], columns: dict[str, str]) -> None:
    """One line per row name, the given keys as columns (numbers right-aligned)."""
    print(f"{'':8}" + "".join(f" {title:>9}" for title in columns.values()))
    for name, row in rows.items():
        cells = (row.get(key, "") for key in columns)
        print(f"{name:8}" + "".join(f" {c:9.3f}" if isinstance(c, float) else f" {c!s:>9}" for c in cells))


def exit_on_sigterm() -> None:
    """SIGTERM ends the benchmark through its `finally` blocks, which stop what it started."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def tree_label(tree: Path) -> str:
    """What mapekd ran from, for the results: the checkout's commit, without machine paths."""
    out = subprocess.run(
        ["git", "-C", str(tree), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() if out.returncode == 0 else "a checkout without git history"


def python_label(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True
    )
    return f"Python {out.stdout.strip()}" + ("" if python == sys.executable else " (another environment)")

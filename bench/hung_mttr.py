"""Hung-service MTTR: SIGSTOP of a service (alive, not answering) to its replacement answering,
mapekd beside Monit, in one run.

    python bench/hung_mttr.py [--repeats 8] [--tree DIR] [--out FILE]

Two copies of the demo service (mapekd.demo), on their own ports and pidfiles, each hung by
SIGSTOP `--repeats` times, alternately:
- mapekd side: `mapekd run` with the daemon's interval at 30 s (a host check and the process
  check on it) and the service's HTTP check on an interval of its own, 1 s with a 1 s timeout;
  `ok == false` on it kills the process (a signal action, SIGKILL), whose death the process
  check sees through its pidfd and remedies by starting the service again (a detached command).
  No debounce, policy cooldown 0 s, no LLM (the policy and a model are not what is measured).
- Monit side: `set daemon 1` (its shortest cycle), `if failed port ... protocol http request
  /health with timeout 1 seconds then restart` on a pidfile process check, the stop program a
  SIGKILL (a stopped process ignores SIGTERM until continued), the start program detaching the
  service, `with timeout 2 seconds` (Monit skips connection tests for that long after a start).
Recovery = a new pid in the pidfile and GET /health answering 200. Reports per side: median, p95,
max and n of the time to recovery. Target: mapekd median <= 3 s (the interval of the HTTP check,
not the daemon's 30 s, bounds it). Monit comes from the Debian package (`make bench-deps`).
Writes bench/results/hung_mttr.json (or --out).
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from benchkit import (
    REPO,
    demo_argv,
    exit_on_sigterm,
    free_port,
    kill_pid,
    mapekd_argv,
    print_rows,
    read_pid,
    start,
    stop,
    summary,
    tree_env,
    tree_label,
    wait,
    write_json,
)
from loop_mttr import Side  # a side of the run: its service's pidfile and URL, its times

TARGET_MEDIAN_S = 3.0
RECOVERY_TIMEOUT_S = 40.0
SETTLE_S = 1.0
"""After a recovery, before the next hang: the new instance is watched and answering."""


def mapekd_config(tmp: Path, argv: list[str], side: Side) -> dict[str, Any]:
    return {
        "daemon": {"interval": "30s"},
        "checks": [
            {"name": "host", "type": "host", "mounts": []},
            # The pid must also be the demo's (a signal never goes by pidfile alone).
            {"name": "svc", "type": "process", "pidfile": str(side.pidfile), "cmdline": str(side.pidfile)},
            {"name": "svc_http", "type": "http", "url": side.url, "timeout": "1s", "interval": "1s"},
        ],
        "rules": [
            {"name": "down", "check": "svc", "when": "alive == false", "remedies": ["start"]},
            {"name": "hung", "check": "svc_http", "when": "ok == false", "remedies": ["kill"]},
        ],
        "actions": [
            {"name": "start", "type": "command", "argv": argv, "detach": True, "detach_grace": "100ms"},
            {"name": "kill", "type": "signal", "check": "svc", "signal": "SIGKILL", "settle": "2s"},
        ],
        "policy": {"cooldown": "0s", "max_actions": 100000, "window": "1h"},
        "plan": {"llm": "never", "analyze": False},
        "knowledge": {"path": str(tmp / "kb.db")},
        "llm": {"embedded": False},
    }


def monit_control(tmp: Path, argv: list[str], side: Side, port: int) -> Path:
    """Its own pid, id, state and log files in `tmp`; mode 0600 (Monit refuses a control file
    others can read). Start and stop programs are scripts: the start one detaches the service
    (returns at once, as a daemon's start program does); the stop one sends SIGKILL."""
    start_script, stop_script = tmp / "monit_start.sh", tmp / "monit_stop.sh"
    start_script.write_text(f"#!/bin/sh\nsetsid {shlex.join(argv)} >/dev/null 2>&1 &\n")
    stop_script.write_text('#!/bin/sh\nkill -KILL "$MONIT_PROCESS_PID"\n')
    for script in (start_script, stop_script):
        script.chmod(0o700)
    lines = [
        "set daemon 1",
        f"set logfile {tmp}/monit.log",
        f"set pidfile {tmp}/monit.pid",
        f"set idfile {tmp}/monit.id",
        f"set statefile {tmp}/monit.state",
        f'check process svc with pidfile "{side.pidfile}"',
        f'  start program = "{start_script}" with timeout 2 seconds',
        f'  stop program = "{stop_script}"',
        f'  if failed port {port} protocol http request "/health" with timeout 1 seconds then restart',
    ]
    path = tmp / "monitrc"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def detached(argv: list[str]) -> None:
    """Start `argv` as an orphan, as a daemon's start program would be: init reaps it once
    killed (a child of this benchmark would stay a zombie, which Monit counts as running)."""
    spawn = (
        "import subprocess as s, sys; "
        "s.Popen(sys.argv[1:], start_new_session=True, stdout=s.DEVNULL, stderr=s.DEVNULL)"
    )
    subprocess.run([sys.executable, "-c", spawn, *argv], check=True)


def start_sides(tmp: Path, args: argparse.Namespace, client: httpx.Client) -> list[Side]:
    monit_bin = shutil.which("monit")
    assert monit_bin is not None, "monit is not installed: make bench-deps"
    sides = []
    for name in ("mapekd", "monit"):
        port, pidfile = free_port(), tmp / f"svc_{name}.pid"  # monit.pid is Monit's own
        side = Side(name, pidfile, f"http://127.0.0.1:{port}/health")
        sides.append(side)
        argv = demo_argv(port, pidfile)
        detached(argv)  # the first instance; the daemon restarts the next ones
        wait(lambda side=side: side.recovered(client, None), RECOVERY_TIMEOUT_S)  # type: ignore[misc]
        if name == "mapekd":
            config = tmp / "mapekd.yaml"
            config.write_text(yaml.safe_dump(mapekd_config(tmp, argv, side)))
            side.supervisor = start(mapekd_argv(config), tmp / "mapekd.log", tree_env(args.tree))
        else:
            control = monit_control(tmp, argv, side, port)
            side.supervisor = start([monit_bin, "-c", str(control), "-I"], tmp / "monit.out")
    time.sleep(3)  # both daemons past their first look at the service
    return sides


def hang_once(side: Side, client: httpx.Client) -> None:
    pid = live_pid(side.pidfile)
    if pid is None:
        side.failures += 1
        return
    hung = time.monotonic()
    os.kill(pid, signal.SIGSTOP)
    try:
        wait(lambda: side.recovered(client, pid), RECOVERY_TIMEOUT_S, step=0.01)
    except TimeoutError:
        side.failures += 1
        kill_pid(pid)
        return
    side.times.append(time.monotonic() - hung)
    time.sleep(SETTLE_S)


def live_pid(pidfile: Path, within: float = 5.0) -> int | None:
    """The pid the pidfile names once that process is alive (a restarted service writes its
    pidfile a moment after it answers)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        pid = read_pid(pidfile)
        try:
            if pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return pid
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.02)
    return None


def run(args: argparse.Namespace) -> list[Side]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="mapekd-hung-") as name, httpx.Client() as client:
        tmp = Path(name)
        sides: list[Side] = []
        try:
            sides = start_sides(tmp, args, client)
            for _ in range(args.repeats):
                for side in rng.sample(sides, len(sides)):  # alternately, in a random order
                    hang_once(side, client)
        finally:
            for side in sides:
                if side.supervisor is not None:
                    stop(side.supervisor)
                kill_pid(read_pid(side.pidfile))
    return sides


def report(sides: list[Side], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"repeats_per_side": args.repeats, "mapekd_tree": tree_label(args.tree)}
    for side in sides:
        out[side.name] = {**summary(side.times), "failures": side.failures} if side.times else {"n": 0}
        out[side.name]["times_s"] = [round(t, 3) for t in side.times]
    mapekd = out["mapekd"]
    out["target_median_met"] = (
        mapekd.get("median_s", float("inf")) <= TARGET_MEDIAN_S and not mapekd["failures"]
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=8, help="hangs per side")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--tree", type=Path, default=REPO, help="the checkout mapekd runs from")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "hung_mttr.json")
    args = parser.parse_args()
    args.tree = args.tree.resolve()
    exit_on_sigterm()
    result = report(run(args), args)
    columns = {"n": "n", "median_s": "median s", "p95_s": "p95 s", "max_s": "max s", "failures": "failed"}
    print_rows({side: result[side] for side in ("mapekd", "monit")}, columns)
    print(f"target: mapekd median <= {TARGET_MEDIAN_S:g}s {result['target_median_met']}")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Crash MTTR: SIGKILL of a watched service to its replacement answering, mapekd beside the floor.

    python bench/loop_mttr.py [--kills 30] [--spread 1.0] [--tree DIR] [--out FILE]

Two copies of the demo service (mapekd.demo), on their own ports and pidfiles, each killed
`--kills` times by SIGKILL, alternately, in one run:
- mapekd side: `mapekd run` at a 5 s cycle watches it by pidfile and restarts it with a detached
  command (policy.cooldown 0s, so the policy is not what is measured; no LLM analysis of the
  incidents unless --llm: the embedded model's generation would compete for the CPU);
- floor side: bench/restart_floor.py, a supervisor that starts it again the moment it exits.
Recovery = a new pid in the pidfile and GET /health answering 200. Each kill comes at a moment
drawn uniformly from [0, spread) seconds after the previous recovery: by default within the first
second after a restart, when the daemon may not have looked at the new process yet (with a wider
spread fewer kills land there: the old tail of 3-5 s showed with a spread of 0.5 s, not of 2 s).
Reports per side: median, p95, max and n of the time to recovery; the ratio of the p95s.
Targets: mapekd p95 <= 1.5x the floor's p95, and mapekd max <= 0.5 s.
Writes bench/results/loop_mttr.json (or --out). The idle cost is measured by bench/footprint.py.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchkit import (
    REPO,
    demo_argv,
    exit_on_sigterm,
    free_port,
    healthy,
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

TARGET_P95_RATIO = 1.5
TARGET_MAX_S = 0.5
RECOVERY_TIMEOUT_S = 30.0


@dataclass
class Side:
    name: str
    pidfile: Path
    url: str
    supervisor: subprocess.Popen[bytes] | None = None
    times: list[float] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    failures: int = 0

    def recovered(self, client: httpx.Client, old_pid: int | None) -> int | None:
        pid = read_pid(self.pidfile)
        return pid if pid is not None and pid != old_pid and healthy(self.url, client) else None


def mapekd_config(tmp: Path, argv: list[str], pidfile: Path, *, llm: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
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
        "policy": {"cooldown": "0s", "max_actions": 100000, "window": "1h"},
        "knowledge": {"path": str(tmp / "kb.db")},
    }
    if not llm:  # an analysis per incident by the embedded model would compete for the CPU
        config["plan"] = {"llm": "never", "analyze": False}
    return config


def start_sides(tmp: Path, args: argparse.Namespace, client: httpx.Client) -> list[Side]:
    sides = []
    for name in ("mapekd", "floor"):
        port, pidfile = free_port(), tmp / f"{name}.pid"
        sides.append(Side(name, pidfile, f"http://127.0.0.1:{port}/health"))
        argv = demo_argv(port, pidfile)
        if name == "floor":
            floor = [sys.executable, str(REPO / "bench" / "restart_floor.py"), "--", *argv]
            sides[-1].supervisor = start(floor, tmp / "floor.log")
            continue
        start(argv)  # the first instance; mapekd restarts the next ones
        config = tmp / "mapekd.yaml"
        config.write_text(yaml.safe_dump(mapekd_config(tmp, argv, pidfile, llm=args.llm)))
        sides[-1].supervisor = start(mapekd_argv(config), tmp / "mapekd.log", tree_env(args.tree))
    for side in sides:
        wait(lambda side=side: side.recovered(client, None), RECOVERY_TIMEOUT_S)  # type: ignore[misc]
    time.sleep(6)  # past mapekd's first cycle, which arms its watch
    return sides


def kill_once(side: Side, client: httpx.Client, spread: float, rng: random.Random) -> None:
    delay = rng.uniform(0.0, spread)
    time.sleep(delay)
    pid = read_pid(side.pidfile)
    if pid is None:
        side.failures += 1
        return
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    try:
        wait(lambda: side.recovered(client, pid), RECOVERY_TIMEOUT_S, step=0.002)
    except TimeoutError:
        side.failures += 1
        return
    side.times.append(time.monotonic() - killed)
    side.delays.append(delay)


def run(args: argparse.Namespace) -> list[Side]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="mapekd-mttr-") as name, httpx.Client() as client:
        tmp = Path(name)
        sides: list[Side] = []
        try:
            sides = start_sides(tmp, args, client)
            for _ in range(args.kills):
                for side in rng.sample(sides, len(sides)):  # alternately, in a random order
                    kill_once(side, client, args.spread, rng)
        finally:
            for side in sides:
                if side.supervisor is not None:
                    stop(side.supervisor)
                kill_pid(read_pid(side.pidfile) if side.name == "mapekd" else None)
    return sides


def report(sides: list[Side], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kills_per_side": args.kills,
        "spread_s": args.spread,
        "mapekd_tree": tree_label(args.tree),
        "llm_analysis": args.llm,
    }
    for side in sides:
        early = sum(1 for d in side.delays if d < 1.0)
        out[side.name] = {**summary(side.times), "failures": side.failures, "killed_within_1s": early}
        out[side.name]["times_s"] = [round(t, 4) for t in side.times]
    mapekd, floor = out["mapekd"], out["floor"]
    out["ratio_p95_mapekd_over_floor"] = round(mapekd["p95_s"] / floor["p95_s"], 2)
    out["target_p95_met"] = out["ratio_p95_mapekd_over_floor"] <= TARGET_P95_RATIO
    out["target_max_met"] = mapekd["max_s"] <= TARGET_MAX_S and mapekd["failures"] == 0
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30, help="kills per side (at least 30 for the targets)")
    parser.add_argument("--spread", type=float, default=1.0, help="kill within this many s after recovery")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--tree", type=Path, default=REPO, help="the checkout mapekd runs from")
    parser.add_argument(
        "--llm",
        action="store_true",
        help="keep the plan section's defaults (an LLM analysis of every incident); for a checkout "
        "older than the plan section too",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "loop_mttr.json")
    args = parser.parse_args()
    args.tree = args.tree.resolve()
    exit_on_sigterm()
    result = report(run(args), args)
    columns = {"n": "n", "median_s": "median s", "p95_s": "p95 s", "max_s": "max s"}
    columns |= {"killed_within_1s": "<1s", "failures": "failed"}
    print_rows({side: result[side] for side in ("mapekd", "floor")}, columns)
    print(f"p95 mapekd/floor: {result['ratio_p95_mapekd_over_floor']}x (target <= {TARGET_P95_RATIO}x)")
    print(f"targets: p95 {result['target_p95_met']}; max <= {TARGET_MAX_S}s {result['target_max_met']}")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The embedded model as a guest on the host: its CPU per incident and the shutdown it allows.

    python bench/model_guest.py [--services 3] [--crash-after 2] [--seconds 20] [--stop-timeout 30]
                                [--tree DIR] [--out FILE]

`--services` copies of the demo service (mapekd.demo), each dying `--crash-after` seconds after
it starts, are watched by `mapekd run` with the default configuration's LLM side (the embedded
SmolLM2-135M-Instruct, an analysis per incident, plan.llm auto, the default shutdown grace) and
restarted at once (policy.cooldown 0s): a crash loop of several incident kinds. After `--seconds`
the daemon gets SIGTERM while analyses run or wait.
Reports: incidents opened, analyses asked of the model and reused, the CPU seconds of the daemon
and of its model processes (sampled, per process) over the loop, their sum per incident, the time
from SIGTERM to the daemon's exit (killed after `--stop-timeout`), and the model processes left
running after it.
Writes bench/results/model_guest.json (or --out). Runs `--seconds` plus start and stop.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

from benchkit import (
    REPO,
    demo_argv,
    exit_on_sigterm,
    free_port,
    kill_pid,
    mapekd_argv,
    read_pid,
    start,
    tree_env,
    tree_label,
    wait,
    write_json,
)

CHILD = "local_llama_child"


def config(tmp: Path, argvs: list[list[str]], pidfiles: list[Path]) -> dict[str, Any]:
    checks, rules, actions = [], [], []
    for i, (argv, pidfile) in enumerate(zip(argvs, pidfiles, strict=True)):
        checks.append({"name": f"svc{i}", "type": "process", "pidfile": str(pidfile)})
        rules.append(
            {
                "name": f"svc{i}_down",
                "check": f"svc{i}",
                "when": "alive == false",
                "severity": "critical",
                "remedies": [f"start{i}"],
            }
        )
        actions.append({"name": f"start{i}", "type": "command", "argv": argv, "detach": True, "settle": "1s"})
    return {
        "daemon": {"interval": "5s"},
        "checks": checks,
        "rules": rules,
        "actions": actions,
        "policy": {"cooldown": "0s", "max_actions": 100000, "window": "1h"},
        "knowledge": {"path": str(tmp / "kb.db")},
    }


class Sampler:
    """CPU seconds of the daemon itself and of each model process it started, sampled."""

    def __init__(self, daemon: psutil.Process) -> None:
        self.daemon = daemon
        self.own = 0.0
        self.models: dict[int, float] = {}

    def sample(self) -> None:
        times = self.daemon.cpu_times()
        self.own = times.user + times.system
        for child in self.daemon.children():
            try:
                if CHILD in " ".join(child.cmdline()):
                    t = child.cpu_times()
                    self.models[child.pid] = t.user + t.system
            except psutil.Error:
                pass  # ended between the listing and the reading

    def total(self) -> float:
        return self.own + sum(self.models.values())

    def live_models(self) -> list[int]:
        return [pid for pid in self.models if psutil.pid_exists(pid)]


def stop_watched(
    daemon: subprocess.Popen[bytes], sampler: Sampler, timeout: float
) -> tuple[int | str, float | str]:
    """Sampling on until the daemon exits (its exit code and the time), or is killed at `timeout`."""
    deadline = time.monotonic() + timeout
    while daemon.poll() is None:
        if time.monotonic() > deadline:  # the case: still busy with the model
            return "killed", f"over {timeout:g}"
        with contextlib.suppress(psutil.Error):
            sampler.sample()
        time.sleep(0.05)
    return daemon.returncode, time.monotonic()


def inferences(log: Path) -> dict[str, Any]:
    """The model processes' own account: each inference's CPU and wall seconds."""
    done = [json.loads(line) for line in log.read_text().splitlines() if '"local_inference"' in line]
    cpu = [e["cpu_s"] for e in done]
    return {
        "inferences_done": len(done),
        "cpu_s_per_inference": round(sum(cpu) / len(cpu), 3) if cpu else None,
        "wall_s_per_inference": round(sum(e["wall_s"] for e in done) / len(done), 2) if done else None,
        "skipped": log.read_text().count('"analysis_skipped"'),
    }


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        incidents = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        analyses = conn.execute("SELECT raw FROM analyses").fetchall()
    reused = sum(1 for (raw,) in analyses if (raw or "").startswith("reused:"))
    return {"incidents": incidents, "analyses_asked": len(analyses) - reused, "analyses_reused": reused}


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    argvs, pidfiles, first = [], [], []
    for i in range(args.services):
        pidfile = tmp / f"svc{i}.pid"
        argvs.append([*demo_argv(free_port(), pidfile), "--crash-after", str(args.crash_after)])
        pidfiles.append(pidfile)
        first.append(start(argvs[-1]))
    path = tmp / "mapekd.yaml"
    path.write_text(yaml.safe_dump(config(tmp, argvs, pidfiles)))
    env = {**tree_env(args.tree), "PYTHONDONTWRITEBYTECODE": "1"}
    daemon = start(mapekd_argv(path), tmp / "mapekd.log", env, cwd=tmp)
    try:
        wait(lambda: b'"ready"' in (tmp / "mapekd.log").read_bytes(), 60)
        sampler = Sampler(psutil.Process(daemon.pid))
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            sampler.sample()
            time.sleep(0.1)
        sampler.sample()
        loop_cpu = sampler.total()
        stopped = time.monotonic()
        daemon.terminate()
        code, shutdown_s = stop_watched(daemon, sampler, args.stop_timeout)
        shutdown_s = shutdown_s if isinstance(shutdown_s, str) else round(shutdown_s - stopped, 2)
        left = sampler.live_models()
    finally:
        kill_pid(daemon.pid if daemon.poll() is None else None)
        for pidfile in pidfiles:
            kill_pid(read_pid(pidfile))
        for proc in first:
            kill_pid(proc.pid if proc.poll() is None else None)
    found = {**counts(tmp / "kb.db"), **inferences(tmp / "mapekd.log")}
    model_cpu = sum(sampler.models.values())
    return {
        "cpu_s_after_sigterm": round(sampler.total() - loop_cpu, 2),
        **found,
        "daemon_cpu_s": round(sampler.own, 2),
        "model_processes": len(sampler.models),
        "model_process_cpu_s": round(model_cpu, 2),
        "cpu_s_per_incident": round(sampler.total() / max(1, found["incidents"]), 3),
        "shutdown_s": shutdown_s,
        "exit_code": code,
        "model_processes_left": len(left),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=3, help="demo services, one incident kind each")
    parser.add_argument("--crash-after", type=float, default=2.0, help="seconds each instance lives")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the crash loop")
    parser.add_argument("--stop-timeout", type=float, default=30.0, help="SIGTERM to SIGKILL")
    parser.add_argument("--tree", type=Path, default=REPO, help="the checkout mapekd runs from")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "model_guest.json")
    args = parser.parse_args()
    args.tree = args.tree.resolve()
    exit_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="mapekd-guest-") as name:
        result = run(args, Path(name))
    result = {
        "mapekd_tree": tree_label(args.tree),
        "services": args.services,
        "crash_after_s": args.crash_after,
        "loop_s": args.seconds,
        **result,
    }
    for key, value in result.items():
        print(f"{key:24} {value}")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

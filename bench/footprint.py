"""What the loop costs the host: mapekd and Monit side by side, in one run, on the same 20 checks.

    python bench/footprint.py [--seconds 60] [--repeats 1] [--match mixed] [--tree DIR]

1 host check, 9 process checks on 9 sleeping processes and 10 HTTP checks on one loopback server
(bench/footprint_setup.py), a 1 s cycle for both daemons (Monit: `set daemon 1`, run in the
foreground from a control file in a temp dir). After a warm-up, for `--seconds`: CPU as % of
one core (user + system time, threads and children included) and memory (RSS, PSS, USS,
medians of samples every 2 s), and the HTTP checks each daemon made per second (both should make
10). With --repeats, fresh daemons each time and medians over repeats. Then mapekd alone on
config/example.yaml (dry-run, its demo down, no LLM in the plan), for `--example-seconds`.
`--tree DIR` runs mapekd from another checkout (e.g. main, for before/after figures in one run);
`--python` under another interpreter (a venv with only mapekd's own dependencies).
Targets (for the specified stack): mapekd CPU <= 4x Monit's; mapekd RSS <= 64 MiB (no LLM model
loaded).
Monit comes from the Debian package (`make bench-deps`). Writes bench/results/footprint.json.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
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
    cpu_seconds,
    exit_on_sigterm,
    mapekd_argv,
    memory_mib,
    print_rows,
    python_label,
    start,
    stop,
    tree_env,
    tree_label,
    write_json,
)
from footprint_setup import MATCH_MODES, HealthServer, Sleepers, mapekd_config, monit_control, write_mapekd

TARGET_RSS_MIB = 64.0
TARGET_CPU_RATIO = 4.0


def measure(procs: dict[str, psutil.Process], seconds: float) -> dict[str, dict[str, float]]:
    cpu_start = {name: cpu_seconds(p) for name, p in procs.items()}
    memory: dict[str, list[dict[str, float]]] = {name: [] for name in procs}
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        for name, proc in procs.items():
            memory[name].append(memory_mib(proc))
        time.sleep(min(2.0, max(0.0, seconds - elapsed)))
    elapsed = time.monotonic() - started
    out = {}
    for name, proc in procs.items():
        figures = {"cpu_percent": 100 * (cpu_seconds(proc) - cpu_start[name]) / elapsed}
        for key in memory[name][0]:
            figures[key] = statistics.median(m[key] for m in memory[name])
        out[name] = figures
    return out


def one_run(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="mapekd-footprint-") as name:
        tmp = Path(name)
        sleepers, server = Sleepers(tmp), HealthServer()
        sleepers.start()
        server.thread.start()
        daemons = []
        try:
            config = mapekd_config(tmp, sleepers, server.url, args.interval, args.match)
            mapekd_file = write_mapekd(tmp, config, args.record_samples)
            monitrc = monit_control(tmp, sleepers, server.server_address[1], args.interval, args.match)
            monit_bin = shutil.which("monit")
            assert monit_bin is not None, "monit is not installed: make bench-deps"
            argv = mapekd_argv(mapekd_file, python=args.python)
            daemons.append(start(argv, tmp / "mapekd.log", tree_env(args.tree)))
            daemons.append(start([monit_bin, "-c", str(monitrc), "-I"], tmp / "monit.out"))
            time.sleep(args.warmup)  # start-up and imports are not the steady state
            _alive(daemons, tmp)
            procs = {"mapekd": psutil.Process(daemons[0].pid), "monit": psutil.Process(daemons[1].pid)}
            requests = {side: server.count(side) for side in procs}
            figures = measure(procs, args.seconds)
            for side in procs:  # the HTTP checks each daemon ran per second: 10 at one cycle a second
                figures[side]["http_checks_per_s"] = (server.count(side) - requests[side]) / args.seconds
            _alive(daemons, tmp)
            figures["mapekd"]["alerts"] = _alerts(tmp / "mapekd.log", '"incident_opened"')
            figures["monit"]["alerts"] = _alerts(tmp / "monit.log", "does not exist", "failed")
            return figures
        finally:
            for proc in daemons:
                stop(proc)
            server.shutdown()
            server.server_close()
            sleepers.stop()


def example_idle(args: argparse.Namespace) -> dict[str, float]:
    """mapekd alone, in dry-run on config/example.yaml with its demo service down (one incident
    open) and no LLM in the plan (no model loaded): what `make run` costs between events."""
    with tempfile.TemporaryDirectory(prefix="mapekd-example-") as name:
        tmp = Path(name)
        config = yaml.safe_load((REPO / "config" / "example.yaml").read_text())
        config["knowledge"]["path"] = str(tmp / "example.db")
        config["plan"] = {"llm": "never", "analyze": False}  # the demo is down: no model for it
        (tmp / "example.yaml").write_text(yaml.safe_dump(config))
        argv = mapekd_argv(tmp / "example.yaml", "--dry-run", python=args.python)
        daemon = start(argv, tmp / "mapekd.log", tree_env(args.tree), cwd=tmp)  # its var/ is tmp's
        try:
            time.sleep(args.warmup)
            _alive([daemon], tmp)
            figures = measure({"mapekd": psutil.Process(daemon.pid)}, args.example_seconds)["mapekd"]
        finally:
            stop(daemon)
    return {key: round(value, 3) for key, value in figures.items()}


def _alive(daemons: list[subprocess.Popen[bytes]], tmp: Path) -> None:
    for daemon, log in zip(daemons, ("mapekd.log", "monit.out"), strict=False):
        if daemon.poll() is not None:
            tail = (tmp / log).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{daemon.args[0]} exited ({daemon.returncode}) during the run:\n{tail}")


def _alerts(log: Path, *needles: str) -> float:
    """How many alerts a daemon raised: none is expected, every check is healthy."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    alerts = [line for line in lines if any(n in line for n in needles)]
    for line in alerts[:3]:
        print(f"alert in {log.name}: {line[:300]}", file=sys.stderr)
    return float(len(alerts))


def report(runs: list[dict[str, dict[str, float]]], args: argparse.Namespace) -> dict[str, Any]:
    sides: dict[str, dict[str, float]] = {}
    for side in ("mapekd", "monit"):
        keys = runs[0][side]
        sides[side] = {k: round(statistics.median(r[side][k] for r in runs), 3) for k in keys}
    mapekd, monit = sides["mapekd"], sides["monit"]
    return {
        "checks": {"host": 1, "process": 9, "http": 10, "process_match": args.match},
        "interval_s": args.interval,
        "seconds": args.seconds,
        "repeats": len(runs),
        "mapekd_tree": tree_label(args.tree),
        "mapekd_python": python_label(args.python),
        "record_samples": args.record_samples,
        "monit_version": _monit_version(),
        **sides,
        "ratio_cpu_mapekd_over_monit": round(mapekd["cpu_percent"] / max(monit["cpu_percent"], 1e-9), 2),
        "ratio_rss_mapekd_over_monit": round(mapekd["rss_mib"] / monit["rss_mib"], 2),
        "target_cpu_met": mapekd["cpu_percent"] <= TARGET_CPU_RATIO * monit["cpu_percent"],
        "target_rss_met": mapekd["rss_mib"] <= TARGET_RSS_MIB,
        "runs": runs,
    }


def _monit_version() -> str:
    out = subprocess.run(["monit", "-V"], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0] if out else "unknown"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--interval", type=float, default=1.0, help="cycle of both daemons, seconds")
    parser.add_argument("--match", choices=MATCH_MODES, default="mixed", help="how processes are found")
    parser.add_argument("--record-samples", type=_boolean, default=None, help="set knowledge.record_samples")
    parser.add_argument("--tree", type=Path, default=REPO, help="the checkout mapekd runs from")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter mapekd runs under: e.g. a venv with only mapekd's own dependencies "
        "(`pip install .`), where optional packages a development venv has (numpy, trio) are absent",
    )
    parser.add_argument("--example-seconds", type=float, default=30.0, help="0: skip the example run")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "footprint.json")
    return parser.parse_args()


def _boolean(text: str) -> bool:
    return {"true": True, "false": False}[text.lower()]


def main() -> int:
    args = parse_args()
    args.tree = args.tree.resolve()
    exit_on_sigterm()
    runs = [one_run(args) for _ in range(args.repeats)]
    result = report(runs, args)
    if args.example_seconds > 0:
        result["example_idle"] = example_idle(args)
    columns = {"cpu_percent": "cpu %", "rss_mib": "rss MiB", "pss_mib": "pss MiB", "uss_mib": "uss MiB"}
    columns |= {"http_checks_per_s": "http/s", "alerts": "alerts"}
    print_rows({side: result[side] for side in ("mapekd", "monit")}, columns)
    cpu, rss = result["ratio_cpu_mapekd_over_monit"], result["ratio_rss_mapekd_over_monit"]
    print(f"mapekd/monit: cpu {cpu}x, rss {rss}x")
    if "example_idle" in result:
        idle = result["example_idle"]
        print(f"config/example.yaml alone: cpu {idle['cpu_percent']:.2f} %, rss {idle['rss_mib']:.1f} MiB")
    met = result["target_cpu_met"], result["target_rss_met"]
    print(f"targets: cpu <= {TARGET_CPU_RATIO:g}x monit's {met[0]}; rss <= {TARGET_RSS_MIB:g} MiB {met[1]}")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

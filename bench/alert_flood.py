"""Memory of an alert flood: distinct firing alerts pushed in one request to the API of a real
`mapekd run`, every one critical, so that each opens an incident, is healed by a cheap command
and verified (a fresh sample of its target).

    python bench/alert_flood.py [--alerts 1000] [--max-alerts 1000] [--seconds 30] [--tree DIR]

Reports the daemon's RSS before the push and at its peak over `--seconds` after it, the
incidents opened, the verifications done and the alerts evicted (from the daemon's log). No LLM
(plan.llm: never): a model's weights would hide the cost of the alerts. Writes
bench/results/alert_flood.json (or --out)."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from benchkit import REPO, free_port, mapekd_argv, start, stop, tree_env, wait, write_json

TOKEN = "bench-alerts-token-0123456789"


def config(tmp: Path, port: int, max_alerts: int) -> dict[str, Any]:
    return {
        "daemon": {"interval": "1s", "shutdown_grace": "10s"},
        "api": {
            "enabled": True,
            "port": port,
            "max_body_bytes": 16 * 2**20,
            "tokens": [{"name": "am", "token": TOKEN, "rights": ["alerts"]}],
        },
        "checks": [{"name": "central", "type": "alertmanager", "max_alerts": max_alerts}],
        "rules": [
            {
                "name": "critical_alert",
                "check": "central",
                "when": "firing == true and label_severity == 'critical'",
                "severity": "critical",
                "remedies": ["heal"],
            }
        ],
        "actions": [
            {"name": "heal", "type": "command", "argv": [shutil.which("true") or "true", "{target}"]}
        ],
        "plan": {"llm": "never"},
        "policy": {"cooldown": "0s"},
        "knowledge": {"path": str(tmp / "kb.db")},
    }


def alerts(count: int) -> list[dict[str, Any]]:
    return [
        {
            "status": "firing",
            "labels": {"alertname": "Flood", "severity": "critical", "instance": f"host-{i}"},
            "annotations": {"summary": "flood " * 40},
            "startsAt": "2024-05-01T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": f"{i:016x}",
        }
        for i in range(count)
    ]


def events(log: Path, kind: str) -> list[dict[str, Any]]:
    found = []
    for line in log.read_text().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("event") == kind:
            found.append(event)
    return found


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp, port = Path(tmp_dir), free_port()
        (tmp / "mapekd.yaml").write_text(yaml.safe_dump(config(tmp, port, args.max_alerts)))
        log = tmp / "daemon.log"
        proc = start(mapekd_argv(tmp / "mapekd.yaml"), log, env=tree_env(args.tree), cwd=tmp)
        try:
            wait(lambda: events(log, "ready"))
            daemon = psutil.Process(proc.pid)
            before = daemon.memory_info().rss
            payload = {"version": "4", "status": "firing", "alerts": alerts(args.alerts)}
            headers = {"authorization": f"Bearer {TOKEN}"}
            response = httpx.post(
                f"http://127.0.0.1:{port}/api/v1/alerts", json=payload, headers=headers, timeout=60
            )
            response.raise_for_status()
            peak, deadline = before, time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                peak = max(peak, daemon.memory_info().rss)
                time.sleep(0.2)
            return {
                "alerts": args.alerts,
                "max_alerts": args.max_alerts,
                "seconds": args.seconds,
                "rss_before_mib": round(before / 2**20, 1),
                "rss_peak_mib": round(peak / 2**20, 1),
                "incidents": len(events(log, "incident_opened")),
                "outcomes": len(events(log, "outcome")),
                "evicted_total": max((e["evicted_total"] for e in events(log, "alerts_evicted")), default=0),
            }
        finally:
            stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--max-alerts", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--tree", type=Path, default=REPO, help="the source tree to run mapekd from")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "alert_flood.json")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2))
    write_json(args.out, result)


if __name__ == "__main__":
    main()

"""`mapekd status`: the daemon at a glance — checks, open incidents, pending approvals, action
counters, LLM providers and spend — live from the API when it answers, else from the knowledge
base, saying which."""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from mapekd.cli.kbopen import db_path, emit_json, settings_of
from mapekd.cli.render import print_line, print_table
from mapekd.config.settings import Settings
from mapekd.report.fmt import fmt_seconds
from mapekd.report.live_client import TIMEOUT_S, Live, endpoint, fetch
from mapekd.report.status import collect_status
from mapekd.schedule.groups import check_groups, every, group_id

EXIT_UNKNOWN = 1
"""Neither the API nor the knowledge base could be read: nothing is known."""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    status = sub.add_parser(
        "status", parents=[common], help="checks, incidents, approvals, counters, LLM at a glance"
    )
    status.add_argument("--db", help="knowledge base file (default: knowledge.path of the config)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument(
        "--no-api", action="store_true", help="read the knowledge base only, do not ask the API"
    )
    status.add_argument(
        "--timeout", type=float, default=TIMEOUT_S, help=f"API timeout in seconds (default {TIMEOUT_S:g})"
    )
    status.set_defaults(handler=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    live = (
        Live(None, None, "not asked (--no-api)")
        if args.no_api
        else fetch(endpoint(settings.api), args.timeout)
    )
    now = time.time()
    report = collect_status(settings, db_path(args), live, now)
    report["jobs"] = scheduled_jobs(settings, live, now)
    report["fleet"] = _fleet(settings, db_path(args), now)
    if args.json:
        emit_json(report)
    else:
        print_status(report)
    return EXIT_UNKNOWN if report["knowledge"]["error"] and not report["api"]["live"] else 0


def print_status(report: dict[str, Any]) -> None:
    api, kb = report["api"], report["knowledge"]
    if api["live"]:
        print_line(("live", "bold green"), f" from the daemon's API at {api['url']}")
    else:
        print_line(("from the knowledge base", "bold yellow"), f": no live state ({api['error']})")
    if kb["error"]:
        print_line(("knowledge base unavailable: ", "bold red"), kb["error"])
    print_line(_daemon_line(report["daemon"]))
    for check in report["checks"]:
        failing = check["failing"]
        check["failing_targets"] = ", ".join(failing[:3]) + (" ..." if len(failing) > 3 else "")
    print_table(report["checks"], CHECKS, title="checks")
    print_table(report["jobs"], JOBS, title="scheduled jobs")
    incidents, approvals = report["open_incidents"], report["pending_approvals"]
    print_table(incidents, INCIDENTS, title=f"open incidents ({len(incidents)})")
    print_table(
        approvals,
        APPROVALS,
        title=f"pending approvals ({len(approvals)}): mapekd approve ID | mapekd deny ID",
    )
    for c in report["counters"]:
        c["count"] = f"{c['used']}/{c['limit']}"
    print_table(report["counters"], COUNTERS, title="action counters (per target, sliding window)")
    _print_llm(report["llm"])
    if report["fleet"] is not None:
        print_line(("fleet: ", "bold"), f"{report['fleet']['host_id']}: {report['fleet']['verdict']}")


def _fleet(settings: Settings, base: Path, now: float) -> dict[str, Any] | None:
    """This host's replication to the fleet (knowledge.fleet), as the daemon last saved it."""
    if settings.knowledge.fleet is None:
        return None
    from mapekd.fleet.report import outbox_state  # psycopg only for a host in a fleet

    return outbox_state(settings.knowledge.fleet, base, now)


CHECKS = [
    ("name", "CHECK"),
    ("type", "TYPE"),
    ("state", "STATE"),
    ("targets", "TARGETS"),
    ("last_sample_at", "LAST SAMPLE"),
    ("value", "LAST VALUE"),
    ("failing_targets", "FAILING"),
]
JOBS = [
    ("id", "JOB"),
    ("trigger", "TRIGGER"),
    ("next_run_at", "NEXT RUN"),
]
INCIDENTS = [
    ("id", "ID"),
    ("status", "STATUS"),
    ("signature", "SIGNATURE"),
    ("opened_at", "OPENED"),
    ("summary", "SUMMARY"),
]
APPROVALS = [
    ("id", "ID"),
    ("incident_id", "INCIDENT"),
    ("action", "ACTION"),
    ("target", "TARGET"),
    ("expires_at", "EXPIRES"),
    ("reason", "REASON"),
]
COUNTERS = [
    ("target", "TARGET"),
    ("count", "ACTIONS/LIMIT"),
    ("window_s", "WINDOW"),
    ("oldest_expires_at", "FREES AT"),
]


def scheduled_jobs(settings: Settings, live: Live, now: float) -> list[dict[str, Any]]:
    """The scheduler's jobs with their next runs, live; else as configured (a group's next run
    is known only to the daemon, the maintenance job's follows from its cron expression)."""
    jobs = ((live.status or {}).get("loop") or {}).get("jobs")
    if isinstance(jobs, list):
        return jobs
    from mapekd.schedule.cron import MAINTENANCE_JOB, next_fire  # APScheduler only when it is needed

    cron = settings.knowledge.maintenance
    at = next_fire(cron, datetime.fromtimestamp(now).astimezone())
    configured = [
        {"id": group_id(interval), "trigger": every(interval), "next_run_at": None}
        for interval in check_groups(settings)
    ]
    return [
        *configured,
        {"id": MAINTENANCE_JOB, "trigger": f"cron {cron}", "next_run_at": at and at.timestamp()},
    ]


def _daemon_line(daemon: dict[str, Any]) -> str:
    every = f"every {fmt_seconds(daemon['interval_s'])}"
    if daemon["source"] == "api":
        age = daemon.get("last_cycle_age_s")
        return (
            f"daemon: last cycle {fmt_seconds(age)} ago ({every})"
            if age is not None
            else "daemon: no cycle yet"
        )
    age = daemon.get("last_sample_age_s")
    if age is None:
        return f"daemon: no recent sample recorded (cycles {every})"
    return f"daemon: last recorded sample {fmt_seconds(age)} ago (cycles {every})"


def _print_llm(llm: dict[str, Any]) -> None:
    print_table(
        llm["providers"],
        [
            ("name", "PROVIDER"),
            ("type", "TYPE"),
            ("model", "MODEL"),
            ("breaker", "BREAKER"),
            ("availability", "STATUS"),
        ],
        title="LLM providers",
    )
    limit = llm["daily_limit"]
    spent = llm["spent_today"]
    shown = "-" if spent is None else f"{spent:.4g}"
    print_line(f"LLM spend today (UTC): {shown} of {'unlimited' if limit is None else f'{limit:g}'}")

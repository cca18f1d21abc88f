"""`mapekd kb ...`: read the knowledge base (read-only, beside a running daemon), export it,
prune it, vacuum it. Each command is a thin call into mapekd.knowledge; `--json` everywhere."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from mapekd.cli import kb_llm, kb_maint, kb_show
from mapekd.cli.kbopen import add_since, emit_json, open_reports, since_of
from mapekd.cli.render import print_table
from mapekd.knowledge.reports import INCIDENT_STATES, IncidentFilter, Reports


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    kb = sub.add_parser("kb", help="inspect, export, prune and vacuum the knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    shared = argparse.ArgumentParser(add_help=False, parents=[common])
    shared.add_argument("--db", help="knowledge base file (default: knowledge.path of the config)")
    reader = argparse.ArgumentParser(add_help=False, parents=[shared])
    reader.add_argument("--json", action="store_true", help="machine-readable output")

    incidents = kb_sub.add_parser("incidents", parents=[reader], help="incidents, newest first")
    add_since(incidents, "24h")
    incidents.add_argument("--state", choices=INCIDENT_STATES, help="only incidents in this state")
    incidents.add_argument("--signature", help="signature or glob, e.g. 'down@*'")
    incidents.add_argument("--target", help="target or glob, e.g. 'process:*'")
    incidents.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    incidents.set_defaults(handler=cmd_incidents)
    actions = kb_sub.add_parser("actions", parents=[reader], help="success rate per signature and action")
    add_since(actions, "all")
    actions.set_defaults(handler=cmd_actions)
    stats = kb_sub.add_parser("stats", parents=[reader], help="time to mitigate per signature (percentiles)")
    add_since(stats, "all")
    stats.set_defaults(handler=cmd_stats)
    kb_show.register(kb_sub, reader)
    kb_llm.register(kb_sub, reader)
    kb_maint.register(kb_sub, shared)


def cmd_incidents(args: argparse.Namespace) -> int:
    where = IncidentFilter(
        since=since_of(args), state=args.state, signature=args.signature, target=args.target, limit=args.limit
    )
    with open_reports(args, Reports) as reports:
        rows = reports.filtered_incidents(where)
    if args.json:
        emit_json(rows)
        return 0
    now = time.time()
    for row in rows:
        row["duration_s"] = (row["resolved_at"] or now) - row["opened_at"]
    print_table(
        rows,
        [
            ("id", "ID"),
            ("status", "STATUS"),
            ("signature", "SIGNATURE"),
            ("severity", "SEVERITY"),
            ("opened_at", "OPENED"),
            ("duration_s", "FOR"),
            ("actions", "ACTIONS"),
            ("summary", "SUMMARY"),
        ],
    )
    return 0


def cmd_actions(args: argparse.Namespace) -> int:
    return _table_command(args, lambda r: r.action_success(since_of(args)), ACTIONS)


def cmd_stats(args: argparse.Namespace) -> int:
    title = "time to mitigate (opened -> resolved, incidents resolved after a real action)"
    return _table_command(args, lambda r: r.time_to_mitigate(since_of(args)), STATS, title)


def _table_command(
    args: argparse.Namespace,
    read: Callable[[Reports], list[dict[str, Any]]],
    columns: list[tuple[str, str]],
    title: str = "",
) -> int:
    with open_reports(args, Reports) as reports:
        rows = read(reports)
    if args.json:
        emit_json(rows)
    else:
        print_table(rows, columns, title=title)
    return 0


ACTIONS = [
    ("signature", "SIGNATURE"),
    ("action", "ACTION"),
    ("executions", "RUNS"),
    ("verified", "VERIFIED"),
    ("resolved", "RESOLVED"),
    ("not_resolved", "NOT_RESOLVED"),
    ("relapsed", "RELAPSED"),
    ("failed", "FAILED"),
    ("success_rate", "SUCCESS"),
    ("avg_duration_ms", "AVG_MS"),
]
STATS = [
    ("signature", "SIGNATURE"),
    ("incidents", "MITIGATED"),
    ("p50_s", "P50"),
    ("p90_s", "P90"),
    ("p99_s", "P99"),
    ("max_s", "MAX"),
    ("mean_s", "MEAN"),
]

"""`mapekd kb incidents | show ID | actions`: read the knowledge base."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from mapekd.cli.render import fmt_ts, print_table
from mapekd.config.durations import parse_duration
from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError, MapekdError
from mapekd.knowledge.store import SqliteStore
from mapekd.plan.policy import Policy


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    kb = sub.add_parser("kb", help="inspect the knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    shared = argparse.ArgumentParser(add_help=False, parents=[common])
    shared.add_argument("--db", help="knowledge base file (default: knowledge.path of the config)")
    shared.add_argument("--json", action="store_true", help="machine-readable output")
    incidents = kb_sub.add_parser("incidents", parents=[shared], help="recent incidents")
    incidents.add_argument("--since", default="24h", help="how far back, e.g. 1h, 7d")
    incidents.set_defaults(handler=cmd_incidents)
    show = kb_sub.add_parser("show", parents=[shared], help="one incident's timeline")
    show.add_argument("id", type=int)
    show.set_defaults(handler=cmd_show)
    actions = kb_sub.add_parser("actions", parents=[shared], help="success rate per signature and action")
    actions.set_defaults(handler=cmd_actions)


def _open(args: argparse.Namespace) -> tuple[SqliteStore, Policy]:
    settings = load_settings(args.config, args.env)
    store = SqliteStore(args.db or settings.knowledge.path)
    return store, Policy(settings.policy, store)


def cmd_incidents(args: argparse.Namespace) -> int:
    try:
        since = time.time() - parse_duration(args.since)
    except ValueError as exc:
        raise ConfigError(str(exc), path="--since") from exc
    store, _ = _open(args)
    rows = store.incidents(since)
    store.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print_table(
        rows,
        [
            ("id", "ID"),
            ("status", "STATUS"),
            ("signature", "SIGNATURE"),
            ("severity", "SEVERITY"),
            ("opened_at", "OPENED"),
            ("resolved_at", "RESOLVED"),
            ("executions", "ACTIONS"),
        ],
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store, policy = _open(args)
    incident = store.incident(args.id)
    if incident is None:
        store.close()
        raise MapekdError(f"no incident {args.id}")
    report: dict[str, Any] = {
        **incident,
        "timeline": store.timeline(args.id),
        "policy_counter": policy.counter(incident["target"], time.time()).as_dict(),
    }
    store.close()
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        _print_show(report)
    return 0


def _print_show(report: dict[str, Any]) -> None:
    print(f"incident {report['id']}  {report['status']}  {report['signature']}")
    print(
        f"  opened {fmt_ts(report['opened_at'])}  resolved {fmt_ts(report['resolved_at'])}"
        f"  gave up {fmt_ts(report['gave_up_at'])}"
    )
    c = report["policy_counter"]
    print(
        f"  actions on {report['target']} in the last {c['window_s']:g}s: "
        f"{c['used']}/{c['limit']} (oldest stops counting at {fmt_ts(c['oldest_expires_at'])})"
    )
    for event in report["timeline"]:
        detail = {
            k: v for k, v in event.items() if k not in ("kind", "ts", "id") and v not in (None, "", [], {})
        }
        print(f"  {fmt_ts(event['ts'])}  {event['kind']:<9} {json.dumps(detail, default=str)}")


def cmd_actions(args: argparse.Namespace) -> int:
    store, _ = _open(args)
    rows = store.action_stats()
    store.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print_table(
        rows,
        [
            ("signature", "SIGNATURE"),
            ("action", "ACTION"),
            ("executions", "RUNS"),
            ("resolved", "RESOLVED"),
            ("success_rate", "SUCCESS"),
            ("avg_duration_ms", "AVG_MS"),
        ],
    )
    return 0

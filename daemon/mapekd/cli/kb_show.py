"""`mapekd kb show ID`: one incident's timeline — symptom, analysis, proposal, decision, approval,
execution, outcome — with the LLM's proposal beside the final choice, the action counter, and
the evidence gathered when it opened with its cause fingerprint's templates."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from rich.table import Table
from rich.text import Text

from mapekd.cli.kbopen import open_reports, settings_of
from mapekd.cli.render import HEADER, console, emit, print_line
from mapekd.cli.styles import STYLES
from mapekd.cli.timeline_text import describe
from mapekd.errors import MapekdError
from mapekd.knowledge.reports import Reports
from mapekd.plan.policy import recorded_counter
from mapekd.report.fmt import fmt_ts


def register(
    kb_sub: argparse._SubParsersAction[argparse.ArgumentParser], reader: argparse.ArgumentParser
) -> None:
    show = kb_sub.add_parser("show", parents=[reader], help="one incident's timeline and its action counter")
    show.add_argument("id", type=int, help="incident id")
    show.set_defaults(handler=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    policy_config = settings_of(args).policy
    with open_reports(args, Reports) as reports:
        incident = reports.incident(args.id)
        if incident is None:
            raise MapekdError(f"no incident {args.id}")
        report: dict[str, Any] = {
            **incident,
            "timeline": reports.timeline(args.id),
            "cause": reports.cause_of(args.id),
            "policy_counter": recorded_counter(
                policy_config, reports, incident["target"], time.time()
            ).as_dict(),
        }
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_show(report)
    return 0


def print_show(report: dict[str, Any]) -> None:
    print_line(
        (f"incident {report['id']}  ", "bold"),
        (report["status"], STYLES["status"](report["status"])),
        f"  {report['signature']}  ",
        (report["severity"], STYLES["severity"](report["severity"])),
    )
    print_line(
        f"  opened {fmt_ts(report['opened_at'])}  resolved {fmt_ts(report['resolved_at'])}"
        f"  gave up {fmt_ts(report['gave_up_at'])}"
    )
    c = report["policy_counter"]
    print_line(
        f"  actions on {report['target']} in the last {c['window_s']:g}s: "
        f"{c['used']}/{c['limit']} (oldest stops counting at {fmt_ts(c['oldest_expires_at'])})"
    )
    con = console()
    grid = Table(box=None, show_header=con.is_terminal, header_style=HEADER, pad_edge=False)
    tty = con.is_terminal
    grid.add_column("TIME", no_wrap=True)
    grid.add_column("STEP", no_wrap=True)
    grid.add_column("WHAT", overflow="fold", no_wrap=not tty, ratio=2 if tty else None)
    grid.add_column("DETAIL", overflow="fold", no_wrap=not tty, ratio=3 if tty else None)
    for event in report["timeline"]:
        what, detail = describe(event)
        grid.add_row(fmt_ts(event["ts"]), Text(event["kind"], style="bold"), what, Text(detail))
    emit(grid)
    print_cause(report["cause"])


def print_cause(cause: dict[str, Any]) -> None:
    """The cause fingerprint with the templates it was made of, then the evidence as stored."""
    if cause["fingerprint"] is None and not cause["evidence"]:
        print_line("  no evidence gathered")
        return
    print_line(("cause ", "bold"), cause["fingerprint"] or "(no fingerprint)")
    for template in cause["templates"]:
        print_line(f"  {template}")
    print_line(("evidence", "bold"), f"  {len(cause['evidence'])} item(s)")
    con = console()
    grid = Table(box=None, show_header=con.is_terminal, header_style=HEADER, pad_edge=False)
    grid.add_column("TIME", no_wrap=True)
    grid.add_column("KIND", no_wrap=True)
    grid.add_column("SOURCE", overflow="fold")
    grid.add_column("TEXT", overflow="fold", ratio=3 if con.is_terminal else None)
    for item in cause["evidence"]:
        grid.add_row(fmt_ts(item["at"]), item["kind"], Text(item["source"]), Text(item["text"]))
    emit(grid)

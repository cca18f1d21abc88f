"""`mapekd report --html out.html [--since 7d]`: one self-contained page of charts and tables,
with a fleet section (hosts, replication, quarantines, the fleet's success table) when
`knowledge.fleet` is configured."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from mapekd.cli.kbopen import add_since, db_path, open_reports, settings_of, since_of
from mapekd.knowledge.queries import Queries


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    report = sub.add_parser("report", parents=[common], help="a self-contained HTML report with charts")
    report.add_argument("--html", required=True, metavar="FILE", help="write the page here")
    report.add_argument("--db", help="knowledge base file (default: knowledge.path of the config)")
    add_since(report, "7d")
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    # Imported here: matplotlib is an optional extra and slow to import.
    from mapekd.report.data import gather
    from mapekd.report.page import render_report

    now = time.time()
    since = since_of(args, now)
    with open_reports(args, Queries) as reads:
        data = gather(reads.conn, since, now)
    data["fleet"] = _fleet(args)
    page = render_report(data, source=str(db_path(args)))
    Path(args.html).write_text(page, encoding="utf-8")
    print(f"report written to {args.html} ({len(page) / 1e3:.0f} kB)", file=sys.stderr)
    return 0


def _fleet(args: argparse.Namespace) -> dict[str, Any] | None:
    config = settings_of(args).knowledge.fleet
    if config is None:
        return None
    from mapekd.fleet.report import fleet_status  # psycopg only with a fleet

    return fleet_status(config, db_path(args))

"""`mapekd fleet status | init | add-host`: the fleet this host shares its knowledge with."""

from __future__ import annotations

import argparse
from typing import Any

from mapekd.cli.kbopen import db_path, emit_json, settings_of
from mapekd.cli.render import print_line, print_table
from mapekd.config.fleet import FleetConfig
from mapekd.errors import ConfigError


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    fleet = sub.add_parser("fleet", help="the fleet: hosts, replication, quarantines, success table")
    fleet_sub = fleet.add_subparsers(dest="fleet_command", required=True, metavar="FLEET_COMMAND")
    shared = argparse.ArgumentParser(add_help=False, parents=[common])
    shared.add_argument("--url", help="PostgreSQL URL (default: knowledge.fleet.url of the config)")
    status = fleet_sub.add_parser("status", parents=[shared], help="hosts, lag, quarantines, success table")
    status.add_argument("--db", help="knowledge base file (default: knowledge.path of the config)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=cmd_status)
    init = fleet_sub.add_parser("init", parents=[shared], help="create or migrate the fleet's schema")
    init.set_defaults(handler=cmd_init)
    add = fleet_sub.add_parser(
        "add-host", parents=[shared], help="a host's own role (it writes only its rows)"
    )
    add.add_argument("host_id", help="the host's knowledge.fleet.host_id")
    add.add_argument("--password-env", metavar="VAR", help="set the role's password from this variable")
    add.set_defaults(handler=cmd_add_host)


def fleet_config(args: argparse.Namespace) -> FleetConfig:
    config = settings_of(args).knowledge.fleet
    if config is None:
        raise ConfigError("not configured: this host is in no fleet", path="knowledge.fleet")
    return config


def cmd_status(args: argparse.Namespace) -> int:
    from mapekd.fleet.report import fleet_status  # psycopg only for this command

    report = fleet_status(fleet_config(args), db_path(args), url=args.url)
    if args.json:
        emit_json(report)
    else:
        print_report(report)
    return 1 if report["error"] else 0


def print_report(report: dict[str, Any]) -> None:
    print_line(("this host: ", "bold"), f"{report['outbox']['host_id']}: {report['outbox']['verdict']}")
    if report["error"]:
        print_line(("fleet unavailable: ", "bold red"), report["error"])
        return
    print_table(
        report["hosts"],
        [("host_id", "HOST"), ("last_seen_age_s", "LAST SEEN (S AGO)"), ("lag_s", "LAG (S)"),
         ("pending", "PENDING"), ("dropped", "DROPPED")],
        title="hosts",
    )  # fmt: skip
    print_table(
        report["quarantined"],
        [("action", "ACTION"), ("target", "TARGET"), ("hosts", "FAILED ON HOSTS")],
        title="quarantined remedies (run only once approved)",
    )
    print_table(
        report["record"],
        [("signature", "SIGNATURE"), ("action", "ACTION"), ("hosts", "HOSTS"), ("successes", "RESOLVED"),
         ("tries", "TRIES")],
        title="the fleet's success table",
    )  # fmt: skip


def cmd_init(args: argparse.Namespace) -> int:
    from mapekd.fleet.connection import connect
    from mapekd.fleet.migrate import apply_migrations

    with connect(fleet_config(args), url=args.url) as conn:
        applied = apply_migrations(conn)
    print_line(f"applied: {', '.join(applied)}" if applied else "the fleet's schema is up to date")
    return 0


def cmd_add_host(args: argparse.Namespace) -> int:
    from mapekd.fleet.connection import connect
    from mapekd.fleet.migrate import add_host

    password = None
    if args.password_env:
        password = args.env.get(args.password_env)
        if password is None:
            raise ConfigError("variable not set", path=args.password_env)
    with connect(fleet_config(args), url=args.url) as conn:
        add_host(conn, args.host_id, password)
    print_line(f"host {args.host_id}: its role may now write its own rows")
    return 0

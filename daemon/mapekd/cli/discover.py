"""`mapekd discover`: a configuration proposed from what runs on this host (see mapekd.discover)."""

from __future__ import annotations

import argparse
import asyncio

from mapekd.cli.proposal_out import add_output_options, hand_over
from mapekd.discover.gather import read_host
from mapekd.discover.propose import propose
from mapekd.monitor.registry import CHECK_TYPES


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    cmd = sub.add_parser(
        "discover",
        parents=[common],
        help="propose a configuration (checks, rules, safe remedies) from what runs on this host",
    )
    add_output_options(cmd, "proposal")
    cmd.add_argument(
        "--port", type=int, action="append", metavar="N", help="only this listening port (repeatable)"
    )
    cmd.add_argument("--no-probe", action="store_true", help="send no HTTP request, even on loopback")
    cmd.set_defaults(handler=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    ports = set(args.port) if args.port else None
    facts = asyncio.run(read_host(ports=ports, probe=not args.no_probe))
    return hand_over(propose(facts, check_types=CHECK_TYPES.keys()), args)

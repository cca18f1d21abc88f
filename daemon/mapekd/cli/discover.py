"""`mapekd discover`: a configuration proposed from what runs on this host (see mapekd.discover)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from mapekd.cli.proposal_out import compare_with_config, write_proposal
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
    cmd.add_argument("-o", "--output", metavar="FILE", help="write the proposal there (default: stdout)")
    cmd.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    cmd.add_argument(
        "--diff", action="store_true", help="compare the proposal with the configuration (--config)"
    )
    cmd.add_argument(
        "--port", type=int, action="append", metavar="N", help="only this listening port (repeatable)"
    )
    cmd.add_argument("--no-probe", action="store_true", help="send no HTTP request, even on loopback")
    cmd.set_defaults(handler=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    ports = set(args.port) if args.port else None
    facts = asyncio.run(read_host(ports=ports, probe=not args.no_probe))
    proposal = propose(facts, tcp_check="tcp" in CHECK_TYPES)
    if args.diff:
        print("\n".join(compare_with_config(proposal, args.config)))
    if args.output:
        write_proposal(proposal, args.output, force=args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    elif not args.diff:
        sys.stdout.write(proposal.text())
    return 0

"""`mapekd import-monit FILE`: a monitrc translated into a mapekd configuration (mapekd.monit)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mapekd.cli.proposal_out import checked_text, compare_with_config, write_proposal
from mapekd.monit.translate import translate_file
from mapekd.monitor.registry import CHECK_TYPES


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    cmd = sub.add_parser(
        "import-monit", parents=[common], help="translate a Monit control file (monitrc) into a configuration"
    )
    cmd.add_argument("file", metavar="FILE", help="the monitrc (its includes are read too)")
    cmd.add_argument("-o", "--output", metavar="FILE", help="write the configuration there (default: stdout)")
    cmd.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    cmd.add_argument(
        "--diff", action="store_true", help="compare the translation with the configuration (--config)"
    )
    cmd.set_defaults(handler=cmd_import_monit)


def cmd_import_monit(args: argparse.Namespace) -> int:
    proposal = translate_file(Path(args.file), CHECK_TYPES.keys())
    if args.diff:
        print("\n".join(compare_with_config(proposal, args.config)))
    if args.output:
        write_proposal(proposal, args.output, force=args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    elif not args.diff:
        sys.stdout.write(checked_text(proposal))
    return 0

"""`mapekd import-monit FILE`: a monitrc translated into a mapekd configuration (mapekd.monit)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mapekd.cli.proposal_out import add_output_options, hand_over
from mapekd.monit.translate import translate_file
from mapekd.monitor.registry import CHECK_TYPES


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    cmd = sub.add_parser(
        "import-monit", parents=[common], help="translate a Monit control file (monitrc) into a configuration"
    )
    cmd.add_argument("file", metavar="FILE", help="the monitrc (its includes are read too)")
    add_output_options(cmd, "configuration")
    cmd.set_defaults(handler=cmd_import_monit)


def cmd_import_monit(args: argparse.Namespace) -> int:
    return hand_over(translate_file(Path(args.file), CHECK_TYPES.keys()), args)

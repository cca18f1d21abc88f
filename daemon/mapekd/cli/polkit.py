"""`mapekd install-polkit`: the polkit rule for the configuration's allowlisted units."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mapekd.config.loader import load_settings
from mapekd.errors import MapekdError
from mapekd.service.polkit import DEFAULT_RULES_PATH, allowlist, render_rules, scoped_actions, write_rules


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    cmd = sub.add_parser(
        "install-polkit",
        parents=[common],
        help="the polkit rule letting the mapekd user manage only the allowlisted units",
    )
    cmd.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        nargs="?",
        const=DEFAULT_RULES_PATH,
        help=f"write the rule there (default with no PATH: {DEFAULT_RULES_PATH}); without it: stdout",
    )
    cmd.add_argument("--user", default="mapekd", help="the user the daemon runs as (default: mapekd)")
    cmd.set_defaults(handler=cmd_install_polkit)


def cmd_install_polkit(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, args.env)
    text = render_rules(settings, user=args.user)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        write_rules(text, Path(args.output))
    except OSError as exc:
        raise MapekdError(f"cannot write {args.output}: {exc}") from exc
    units, scopes = allowlist(settings), scoped_actions(settings)
    print(f"wrote {args.output}: {len(units)} units, {len(scopes)} scoped detached actions", file=sys.stderr)
    return 0

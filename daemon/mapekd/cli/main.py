"""Entry point: `mapekd run | check-config | kb ... | llm ...`.

This is the one place that reads the process environment (for MAPEKD_* overrides and the
minimal environment handed to commands); everything below receives it explicitly."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from mapekd import __version__
from mapekd.cli import daemon_cmds, decide_cmds, gateway_cmd, kb, polkit, report, status
from mapekd.errors import ConfigError, MapekdError, StoreError

EXIT_CONFIG = 2
EXIT_FAILURE = 1
BASE_ENV_KEYS = ("PATH", "LANG", "LC_ALL", "TZ", "HOME", "INVOCATION_ID")
"""Handed to actions. INVOCATION_ID (set by systemd) only tells the `command` action that it runs
under systemd, where detached services get a scope of their own; commands never see it."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        "-c",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="configuration file (default: $MAPEKD_CONFIG, else built-in defaults)",
    )
    parser = argparse.ArgumentParser(
        prog="mapekd", parents=[common], description="Self-healing daemon for Linux hosts (MAPE-K loop)."
    )
    parser.add_argument("--version", action="version", version=f"mapekd {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    daemon_cmds.register(sub, common)
    status.register(sub, common)
    kb.register(sub, common)
    report.register(sub, common)
    decide_cmds.register(sub, common)
    polkit.register(sub, common)
    gateway_cmd.register(sub, common)
    _register_llm(sub, common)
    return parser


def _register_llm(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    from mapekd.cli import llm

    llm.register(sub, common)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    env = dict(os.environ)
    args.config = getattr(args, "config", None) or env.get("MAPEKD_CONFIG")
    args.env = env
    args.base_env = {k: env[k] for k in BASE_ENV_KEYS if k in env}
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"mapekd: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StoreError as exc:
        print(f"mapekd: knowledge base error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except MapekdError as exc:
        print(f"mapekd: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

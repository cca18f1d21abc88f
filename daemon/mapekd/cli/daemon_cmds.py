"""`mapekd run` and `mapekd check-config`."""

from __future__ import annotations

import argparse
from pathlib import Path

from mapekd.config.loader import load_settings, locate
from mapekd.errors import ConfigError


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    run = sub.add_parser("run", parents=[common], help="run the daemon")
    run.add_argument(
        "--dry-run", action="store_true", help="run the whole loop, log and record decisions, execute nothing"
    )
    run.add_argument("--once", action="store_true", help="run one cycle and exit")
    run.add_argument(
        "--log-format", choices=["json", "text"], help="json (default, journald-friendly) or text for people"
    )
    run.set_defaults(handler=cmd_run)
    check = sub.add_parser(
        "check-config", parents=[common], help="validate the configuration (exit 2 naming the bad key)"
    )
    check.set_defaults(handler=cmd_check_config)


def cmd_run(args: argparse.Namespace) -> int:
    # Imported here: `check-config` and `kb` should not pay for the whole daemon's imports.
    from mapekd.eventloop import run as run_on_loop
    from mapekd.logs import setup_logging
    from mapekd.runner import Daemon

    settings = load_settings(args.config, args.env)
    setup_logging(args.log_format or settings.daemon.log_format, settings.daemon.log_level)
    daemon = Daemon(
        settings,
        config_path=Path(args.config) if args.config else None,
        env=args.env,
        base_env=args.base_env,
        force_dry_run=args.dry_run,
    )
    return run_on_loop(daemon.run(once=args.once), settings.daemon.event_loop)


def cmd_check_config(args: argparse.Namespace) -> int:
    """Load and build exactly as `run` does (nothing is started or executed)."""
    from mapekd.assemble import assemble
    from mapekd.shared_http import SharedHttp

    settings = load_settings(args.config, args.env)
    try:
        assemble(settings, http=SharedHttp(), base_env=args.base_env)
    except ConfigError as exc:
        raise locate(exc, args.config) from exc
    print(f"ok: {len(settings.checks)} checks, {len(settings.rules)} rules, {len(settings.actions)} actions")
    return 0

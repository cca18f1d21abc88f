"""Entry point: `mapekd run | check-config | kb ... | llm ...`.

This is the one place that reads the process environment (for MAPEKD_* overrides and the
minimal environment handed to commands); everything below receives it explicitly."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Collection, Sequence

from mapekd import __version__
from mapekd.errors import ConfigError, MapekdError, StoreError

EXIT_CONFIG = 2
EXIT_FAILURE = 1
BASE_ENV_KEYS = ("PATH", "LANG", "LC_ALL", "TZ", "HOME", "INVOCATION_ID")
"""Handed to actions. INVOCATION_ID (set by systemd) only tells the `command` action that it runs
under systemd, where detached services get a scope of their own; commands never see it."""

LAZY_COMMANDS = {
    "mapekd.cli.status": {"status": "checks, incidents, approvals, counters, LLM at a glance"},
    "mapekd.cli.kb": {"kb": "inspect, export, prune and vacuum the knowledge base"},
    "mapekd.cli.report": {"report": "a self-contained HTML report with charts"},
    "mapekd.cli.decide_cmds": {
        "approve": "approve a decision waiting for approval",
        "deny": "deny a decision waiting for approval",
        "approvals": "decisions waiting for approval",
        "explain": "a plain-language account of an incident",
    },
    "mapekd.cli.polkit": {
        "install-polkit": "the polkit rule letting the mapekd user manage only the allowlisted units"
    },
    "mapekd.cli.gateway_cmd": {"gateway": "serve the HTTP API and the LLM gateway, without the healing loop"},
    "mapekd.cli.llm": {"llm": "the LLM gateway: status, a chat, a smoke test"},
    "mapekd.cli.eval_cmd": {"eval": "decide scripted faults on services it starts; print right-first"},
    "mapekd.cli.fleet": {"fleet": "the fleet: hosts, replication, quarantines, success table"},
    "mapekd.cli.import_monit": {
        "import-monit": "translate a Monit control file (monitrc) into a configuration"
    },
    "mapekd.cli.discover": {
        "discover": "propose a configuration (checks, rules, safe remedies) from what runs on this host"
    },
}
"""Modules whose commands import the knowledge base, reports or the LLM stack, and the help line
of each command. A module is imported only when one of its commands is on the command line, so
that `mapekd run` does not carry them; `mapekd --help` lists them from here."""


def build_parser(selected: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; `selected`: the lazy modules to import and register fully (default
    all of them); the others' commands are only listed by name and help line."""
    from mapekd.cli import daemon_cmds  # imports httpx: after main() has set it up

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
    for module, commands in LAZY_COMMANDS.items():
        if selected is None or module in selected:
            importlib.import_module(module).register(sub, common)
        else:
            for name, summary in commands.items():
                sub.add_parser(name, help=summary)  # never chosen: its module is then selected
    return parser


def lazy_modules_for(argv: Sequence[str]) -> list[str]:
    """The lazy modules one of whose commands appears among `argv` (a config file named like a
    command only costs an import)."""
    return [module for module, commands in LAZY_COMMANDS.items() if not commands.keys().isdisjoint(argv)]


def main(argv: Sequence[str] | None = None) -> int:
    # httpx imports its own command-line client (click, rich, pygments: 4 MiB resident) whenever
    # those are installed; mapekd never runs it. Before anything imports httpx.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(lazy_modules_for(argv))
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

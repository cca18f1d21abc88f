"""What the read commands share: where the knowledge base is, `--since`, opening it read-only."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from mapekd.config.durations import parse_duration
from mapekd.config.loader import load_settings
from mapekd.config.settings import Settings
from mapekd.errors import ConfigError
from mapekd.knowledge.queries import Queries
from mapekd.knowledge.readonly import connect_readonly, missing_migrations

Q = TypeVar("Q", bound=Queries)


def add_since(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--since", default=default, help=f"how far back, e.g. 1h, 7d, or all (default {default})"
    )


def since_of(args: argparse.Namespace, now: float | None = None) -> float:
    """Unix time `--since` ago; 0 for `all`. A bad duration is a ConfigError naming --since."""
    if args.since == "all":
        return 0.0
    try:
        return (time.time() if now is None else now) - parse_duration(args.since)
    except ValueError as exc:
        raise ConfigError(str(exc), path="--since") from exc


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def settings_of(args: argparse.Namespace) -> Settings:
    cached = getattr(args, "_settings", None)
    if isinstance(cached, Settings):
        return cached
    settings = load_settings(args.config, args.env)
    args._settings = settings
    return settings


def db_path(args: argparse.Namespace) -> Path:
    return Path(args.db or settings_of(args).knowledge.path)


@contextlib.contextmanager
def open_reports(args: argparse.Namespace, kind: type[Q]) -> Iterator[Q]:
    """`kind` over a read-only connection: never writes, never waits for the daemon."""
    db = connect_readonly(db_path(args))
    try:
        missing = missing_migrations(db)
        if missing:
            print(
                f"mapekd: note: the knowledge base has not had migrations {', '.join(missing)} yet "
                "(the daemon applies them when it starts); some figures may be missing or slow",
                file=sys.stderr,
            )
        yield kind(db)
    finally:
        db.close()

"""`mapekd kb export | prune | vacuum`: take the knowledge out, and keep it small.

export reads (read-only connection, paged); prune and vacuum write, through the daemon's own store
(migrated, WAL, foreign keys on), and wait for the daemon's writes like any writer would."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mapekd.cli.kbopen import add_since, db_path, emit_json, since_of
from mapekd.cli.render import print_line, print_table
from mapekd.config.durations import parse_duration
from mapekd.errors import ConfigError
from mapekd.knowledge.export import FORMATS, TIME_COLUMNS, export
from mapekd.knowledge.readonly import connect_readonly
from mapekd.knowledge.retention import prune, vacuum
from mapekd.knowledge.store import SqliteStore


def register(
    kb_sub: argparse._SubParsersAction[argparse.ArgumentParser], shared: argparse.ArgumentParser
) -> None:
    out = kb_sub.add_parser("export", parents=[shared], help="one table as JSON lines or CSV, streamed")
    out.add_argument(
        "--table", choices=list(TIME_COLUMNS), default="incidents", help="which table (default incidents)"
    )
    out.add_argument("--format", choices=FORMATS, default="jsonl", help="jsonl (default) or csv")
    out.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    add_since(out, "all")
    out.set_defaults(handler=cmd_export)
    retain = kb_sub.add_parser(
        "prune", parents=[shared], help="delete resolved incidents older than a cutoff"
    )
    retain.add_argument("--older-than", required=True, help="e.g. 90d: incidents resolved before that go")
    retain.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")
    retain.add_argument("--json", action="store_true", help="machine-readable output")
    retain.set_defaults(handler=cmd_prune)
    compact = kb_sub.add_parser("vacuum", parents=[shared], help="rebuild the file without free pages")
    compact.add_argument("--json", action="store_true", help="machine-readable output")
    compact.set_defaults(handler=cmd_vacuum)


def cmd_export(args: argparse.Namespace) -> int:
    since = since_of(args)
    conn = connect_readonly(db_path(args))
    try:
        if args.output:
            with Path(args.output).open("w", encoding="utf-8", newline="") as out:
                count = export(conn, args.table, out, args.format, since)
            print(f"{count} rows of {args.table} written to {args.output}", file=sys.stderr)
        else:
            export(conn, args.table, sys.stdout, args.format, since)
    finally:
        conn.close()
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    try:
        cutoff = time.time() - parse_duration(args.older_than)
    except ValueError as exc:
        raise ConfigError(str(exc), path="--older-than") from exc
    store = SqliteStore(db_path(args))
    try:
        deleted = prune(store.conn, cutoff, dry_run=args.dry_run)
    finally:
        store.close()
    if args.json:
        emit_json({"dry_run": args.dry_run, "older_than": cutoff, "deleted": deleted})
        return 0
    verb = "would delete" if args.dry_run else "deleted"
    rows = [{"table": table, "rows": n} for table, n in deleted.items()]
    print_table(rows, [("table", "TABLE"), ("rows", "ROWS")], title=f"{verb} (resolved before the cutoff)")
    return 0


def cmd_vacuum(args: argparse.Namespace) -> int:
    path = db_path(args)
    store = SqliteStore(path)
    try:
        before, after = vacuum(store.conn, path)
    finally:
        store.close()
    if args.json:
        emit_json({"bytes_before": before, "bytes_after": after})
    else:
        print_line(f"{path}: {before / 1e6:.2f} MB -> {after / 1e6:.2f} MB")
    return 0

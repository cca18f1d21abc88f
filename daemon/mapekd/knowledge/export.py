"""Streaming export of one knowledge table as JSON lines or CSV.

Rows are read in pages by primary key (`id > last ORDER BY id LIMIT n`), each page its own short
read, so memory stays flat on a large base and no read stays open long enough to hold back the
daemon's WAL checkpoints."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from typing import Any, TextIO

from mapekd.errors import StoreError
from mapekd.knowledge.library import database
from mapekd.knowledge.queries import mapped

TIME_COLUMNS = {
    "incidents": "opened_at",
    "symptoms": "ts",
    "decisions": "ts",
    "executions": "started_at",
    "outcomes": "ts",
    "analyses": "ts",
    "approvals": "requested_at",
    "llm_calls": "ts",
    "samples": "ts",
}
"""The exportable tables and the column `--since` filters on. Table names are only ever taken
from this dict, never from input, before they go into SQL."""
FORMATS = ("jsonl", "csv")


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({_known(table)})")]


def iter_rows(
    conn: sqlite3.Connection, table: str, since: float = 0.0, page: int = 5000
) -> Iterator[tuple[Any, ...]]:
    rows_of = database(conn).table(_known(table))
    where = f"id > ? AND {TIME_COLUMNS[table]} >= ?"
    last = 0
    while True:
        with mapped(f"cannot export {table}"):
            rows = list(rows_of.rows_where(where, (last, since), order_by="id", limit=page))
        yield from (tuple(row.values()) for row in rows)
        if len(rows) < page:
            return
        last = rows[-1]["id"]


def export(conn: sqlite3.Connection, table: str, out: TextIO, fmt: str, since: float = 0.0) -> int:
    """Write the rows of `table` to `out`; returns how many."""
    names = columns(conn, table)
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in iter_rows(conn, table, since):
            writer.writerow(row)
            count += 1
        return count
    if fmt != "jsonl":
        raise StoreError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    for row in iter_rows(conn, table, since):
        out.write(json.dumps(dict(zip(names, row, strict=True)), default=str) + "\n")
        count += 1
    return count


def _known(table: str) -> str:
    if table not in TIME_COLUMNS:
        raise StoreError(f"unknown table {table!r} (exportable: {', '.join(TIME_COLUMNS)})")
    return table

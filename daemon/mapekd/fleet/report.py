"""What `mapekd fleet status`, `mapekd status` and `mapekd report` show: this host's outbox (from
its SQLite, so it reads even with PostgreSQL down) and the fleet (hosts, lag, quarantines, the
success table)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import psycopg

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.connection import FleetError, connect, mapped
from mapekd.fleet.local import read_state
from mapekd.fleet.record import pull_quarantine

STALE_AFTER_S = 15.0
"""An outbox state older than this (and than three push intervals): the daemon is not replicating."""


def outbox_state(config: FleetConfig, base: Path, now: float | None = None) -> dict[str, Any]:
    """This host's replication as its daemon last saved it, and a one-line verdict."""
    now = time.time() if now is None else now
    if not base.exists():
        return {"host_id": config.host_id, "verdict": "not replicated yet"}
    try:
        with sqlite3.connect(f"file:{base}?mode=ro", uri=True, timeout=1.0) as conn:
            state = read_state(conn) or {}
    except sqlite3.Error as exc:
        return {"host_id": config.host_id, "verdict": f"knowledge base unreadable: {exc}"}
    return {"host_id": config.host_id, **state, "verdict": _verdict(config, state, now)}


def _verdict(config: FleetConfig, state: dict[str, Any], now: float) -> str:
    if not state:
        return "not replicated yet"
    waiting = f"{state.get('pending', 0)} rows waiting, {state.get('dropped', 0)} dropped"
    if state.get("error"):
        return f"PostgreSQL unreachable ({state['error']}); healing from local knowledge; {waiting}"
    age = now - float(state.get("saved_at") or 0)
    if age > max(STALE_AFTER_S, 3 * config.push_interval):
        return f"no replication for {age:.0f}s (PostgreSQL slow, or the daemon stopped); {waiting}"
    return f"replicating; {waiting}"


def fleet_status(config: FleetConfig, base: Path, *, url: str | None = None) -> dict[str, Any]:
    """This host's outbox, then the fleet; with PostgreSQL unreachable the fleet's part is an
    `error` and the local part is still shown."""
    status: dict[str, Any] = {"outbox": outbox_state(config, base)}
    try:
        status.update(fleet_report(config, url=url), error=None)
    except FleetError as exc:
        status["error"] = str(exc)
    return status


def fleet_report(config: FleetConfig, *, url: str | None = None, limit: int = 50) -> dict[str, Any]:
    """Hosts (last seen, lag), quarantined remedies, the fleet's success table (most tried first)."""
    now = time.time()
    with connect(config, url=url) as conn, mapped("cannot read the fleet"):
        hosts = _rows(
            conn,
            "SELECT host_id, last_seen, GREATEST(last_seen - sent_until, 0) AS lag_s, pending, dropped "
            "FROM hosts ORDER BY host_id",
        )
        record = _rows(
            conn,
            "SELECT signature, action, hosts, successes, tries FROM fleet_signature_record "
            "ORDER BY tries DESC, signature, action LIMIT %s",
            (limit,),
        )
        quarantined = pull_quarantine(conn, hosts=config.quarantine_hosts, window=config.quarantine_window)
    for host in hosts:
        host["last_seen_age_s"] = round(now - float(host.pop("last_seen")), 1)
    return {
        "hosts": hosts,
        "quarantined": [{"action": a, "target": t, "hosts": n} for (a, t), n in sorted(quarantined.items())],
        "record": record,
    }


def _rows(
    conn: psycopg.Connection[tuple[object, ...]], query: str, params: tuple[object, ...] = ()
) -> list[dict[str, Any]]:
    cur = conn.execute(query.encode(), params)
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

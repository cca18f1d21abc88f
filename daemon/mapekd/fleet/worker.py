"""The fleet's thread: the outbox pushed, the record pulled, quarantines listened for, all with
PostgreSQL's failures retried with backoff. Nothing here runs on the loop: the loop reads the
view's snapshot, and a PostgreSQL down, slow or frozen only makes the snapshot older."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sqlite3
import threading
import time
from pathlib import Path

import psycopg

from mapekd.config.fleet import FleetConfig
from mapekd.fleet.connection import FleetError, connect, mapped
from mapekd.fleet.local import LocalBase
from mapekd.fleet.migrate import apply_migrations, pending_migrations
from mapekd.fleet.outbox import Outbox
from mapekd.fleet.record import pull, pull_quarantine
from mapekd.fleet.view import FleetView

log = logging.getLogger("mapekd.fleet")
CHANNEL = "mapekd_fleet"
MAX_BATCHES = 20
"""Batches sent in one round before the record is looked at again (a long backlog drains over
several rounds, never starving the pull)."""


class FleetWorker:
    def __init__(self, config: FleetConfig, base: Path, view: FleetView) -> None:
        self.config = config
        self.base = base
        self.view = view
        self._stop = threading.Event()
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._pulled_at = 0.0
        self._down = False
        self._heard = threading.Event()
        """A host reported a failure (NOTIFY): the quarantine is read again at once."""
        self.outbox: Outbox | None = None
        self._thread = threading.Thread(target=self._run, name="mapekd-fleet", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to stop and wait a little: a thread stuck on a frozen server is a
        daemon thread, and does not keep the process alive."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        local, backoff = None, 1.0
        while not self._stop.is_set():
            try:
                local = local or LocalBase(self.base)
                outbox = self._outbox(local)
                self._round(outbox)
                backoff = 1.0
            except (FleetError, sqlite3.Error) as exc:
                self._failed(str(exc))
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.config.max_backoff)
        self._close()
        if local is not None:
            local.close()

    def _outbox(self, local: LocalBase) -> Outbox:
        if self.outbox is None:
            config = self.config
            self.outbox = Outbox(local, config.host_id, batch=config.batch, limit=config.outbox_limit)
        return self.outbox

    def _round(self, outbox: Outbox) -> None:
        conn = self._connection()
        self.view.busy_since = time.time()
        with mapped("cannot replicate to the fleet"):
            for _ in range(MAX_BATCHES):
                if not outbox.push(conn):
                    break
            self._pull(conn)
        self.view.busy_since = None
        self.view.outbox = outbox.state()
        if self._down:
            log.warning(
                "fleet reachable again", extra={"event": {"event": "fleet_up", "pending": outbox.pending}}
            )
            self._down = False
        self.view.reached()
        self._stop.wait(self.config.push_interval)

    def _pull(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        """The whole record every pull_interval; the quarantine alone as soon as a host reported
        a failure (the handler hears notifications as the connection reads its queries' results)."""
        config = self.config
        if time.monotonic() - self._pulled_at >= config.pull_interval:
            self._heard.clear()
            self.view.snapshot = pull(
                conn, quarantine_hosts=config.quarantine_hosts, window=config.quarantine_window
            )
            self._pulled_at = time.monotonic()
        elif self._heard.is_set():
            self._heard.clear()
            quarantined = pull_quarantine(
                conn, hosts=config.quarantine_hosts, window=config.quarantine_window
            )
            self.view.snapshot = dataclasses.replace(self.view.snapshot, quarantined=quarantined)

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            conn = connect(self.config)
            try:
                if pending_migrations(conn):
                    apply_migrations(conn)  # only the schema's owner can: a host role gets an error
                with mapped("cannot listen for quarantines"):
                    conn.add_notify_handler(lambda _: self._heard.set())
                    conn.execute(f"LISTEN {CHANNEL}")
            except FleetError:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _failed(self, why: str) -> None:
        self.view.busy_since = None
        if not self._down:
            self._down = True
            log.error(
                "fleet unreachable; healing on from local knowledge",
                extra={"event": {"event": "fleet_down", "error": why}},
            )
        self.view.unreachable(why)
        self._close()
        if self.outbox is not None:  # what `mapekd status` reads beside the daemon
            state = {**self.outbox.state(), "error": why, "last_ok_at": self.view.last_ok_at}
            self.outbox.local.save(self.outbox.cursors, {**state, "saved_at": time.time()})

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

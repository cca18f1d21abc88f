"""A FIFO in place of a pidfile: `mapekd run` reports that check unknown, keeps watching the
other process checks, and still ends on SIGTERM within its shutdown grace (a blocking open of the
FIFO used to stall every process check and hang the exit)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

from tests.conftest import wait_for
from tests.e2e.harness import Daemon, Service, base_config

GRACE_S = 10.0


def _states(db: Path, check: str) -> list[dict[str, Any]]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT fields FROM samples WHERE check_name = ? ORDER BY ts", (check,))
        return [json.loads(fields) for (fields,) in rows.fetchall()]


def test_a_fifo_pidfile_blinds_only_its_check_and_sigterm_still_ends_the_daemon(
    tmp_path: Path, service: Service, daemons: list[Daemon]
) -> None:
    service_pid = service.start()
    fifo = tmp_path / "blinded.pid"
    os.mkfifo(fifo)
    config = base_config(tmp_path, service)
    config["daemon"]["shutdown_grace"] = f"{GRACE_S:g}s"
    config["checks"].append({"name": "blinded", "type": "process", "pidfile": str(fifo), "match_name": "x"})
    config["knowledge"]["record_samples"] = True
    daemon = Daemon(tmp_path, config)
    daemons.append(daemon)
    daemon.start()
    db = tmp_path / "kb.db"

    wait_for(lambda: len(_states(db, "blinded")) >= 3, message="three collections of the FIFO check")
    blinded = _states(db, "blinded")
    assert all(s["state"] == "unknown" and "a FIFO" in s["error"] for s in blinded)
    watched = _states(db, "svc_process")
    assert len(watched) >= 3 and all(s["state"] == "running" and s["pid"] == service_pid for s in watched)

    assert daemon.proc is not None
    started = time.monotonic()
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(60) == 0
    assert time.monotonic() - started < GRACE_S

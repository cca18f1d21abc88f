"""The knowledge base locked by another process (as `mapekd kb vacuum` does) while a watched
service dies: the daemon heals at once, and what it did is in the base once the lock goes. A
real `mapekd run`, a real service, and a real second connection holding SQLite's write lock."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill


def test_a_held_write_lock_does_not_delay_healing(tmp_path: Path) -> None:
    service = Service(tmp_path, free_port())
    daemon = Daemon(tmp_path, base_config(tmp_path, service))
    try:
        first = service.start()
        daemon.start()
        lock = sqlite3.connect(str(tmp_path / "kb.db"), isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # held for the whole healing below
        killed_at = time.monotonic()
        kill(first)
        wait_for(lambda: service.healthy() and service.pid() != first, timeout=20, message="healed")
        healed_in = time.monotonic() - killed_at
        held = daemon.events("knowledge_base_down")
        lock.rollback()
        lock.close()
        wait_for(lambda: daemon.events("knowledge_base_back"), timeout=20, message="writes caught up")
        incident = daemon.incident("svc_down@process:svc_process")
    finally:
        daemon.stop()
        service.stop_all()
    assert healed_in < 8.0, f"healing took {healed_in:.1f}s under a held lock"
    assert held, "the outage was not said"
    assert incident is not None
    kinds = [e["kind"] for e in incident["timeline"]]
    assert "decision" in kinds and "execution" in kinds

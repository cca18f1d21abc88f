"""A corrupt knowledge base does not keep the daemon from healing: `mapekd run --once` moves it
aside (kept for forensics), says so loudly, starts a fresh base and exits 0."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml


def test_a_corrupt_base_is_moved_aside_and_the_daemon_runs(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    garbage = b"\x00garbage, not SQLite\xff" * 512
    db.write_bytes(garbage)
    config = tmp_path / "mapekd.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "checks": [{"name": "host", "type": "host"}],
                "knowledge": {"path": str(db)},
                "llm": {"embedded": False},
                "daemon": {"log_format": "json"},
            }
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "mapekd", "run", "--once", "--dry-run", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (aside,) = tmp_path.glob("kb.db.corrupt-*")
    assert aside.read_bytes() == garbage
    lines = [
        json.loads(line) for line in (result.stderr + result.stdout).splitlines() if line.startswith("{")
    ]
    (event,) = [e for e in lines if e.get("event") == "knowledge_base_corrupt"]
    assert event["level"] == "error" and event["path"] == str(db) and event["moved_to"] == str(aside)
    with sqlite3.connect(db) as conn:
        (base_id,) = conn.execute("SELECT value FROM meta WHERE key = 'base_id'").fetchone()
        assert len(base_id) == 32
        assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
        assert conn.execute("SELECT COUNT(*) FROM runbooks").fetchone()[0] > 0  # loaded as usual
    conn.close()

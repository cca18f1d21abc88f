"""`knowledge.fleet` errors name their key (exit 2); `mapekd fleet init | add-host | status`
against a real PostgreSQL; and the URL's secret may come from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml


def mapekd(
    tmp: Path, config: dict[str, Any], *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    path = tmp / "mapekd.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [sys.executable, "-m", "mapekd", *args, "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def fleet(tmp: Path, **fleet: Any) -> dict[str, Any]:
    return {"knowledge": {"path": str(tmp / "kb.db"), "fleet": fleet}}


@pytest.mark.parametrize(
    ("fleet_keys", "key"),
    [
        ({"url": "http://db/fleet", "host_id": "web1"}, "knowledge.fleet.url"),
        ({"url": "postgresql://web1@db/fleet", "host_id": "Web-1"}, "knowledge.fleet.host_id"),
        (
            {"url": "postgresql://web1@db/fleet", "host_id": "web1", "quarantine_hosts": 1},
            "knowledge.fleet.quarantine_hosts",
        ),
        ({"host_id": "web1"}, "knowledge.fleet.url"),
    ],
)
def test_a_bad_fleet_key_is_named_and_exits_2(tmp_path: Path, fleet_keys: dict[str, Any], key: str) -> None:
    done = mapekd(tmp_path, fleet(tmp_path, **fleet_keys), "check-config")
    assert done.returncode == 2
    assert key in done.stderr


def test_fleet_commands_without_a_fleet_name_the_missing_key(tmp_path: Path) -> None:
    done = mapekd(tmp_path, {"knowledge": {"path": str(tmp_path / "kb.db")}}, "fleet", "status")
    assert done.returncode == 2 and "knowledge.fleet" in done.stderr


def test_init_add_host_and_status(pg_url: str, tmp_path: Path) -> None:
    host_url = pg_url.replace("postgres@", "web_c@", 1)
    # The file names the host's own role; the admin URL comes from the environment here.
    config = fleet(tmp_path, url=host_url, host_id="web_c")
    done = mapekd(tmp_path, config, "fleet", "init", "--url", pg_url)
    assert done.returncode == 0, done.stderr
    assert "0001_fleet" in done.stdout
    done = mapekd(
        tmp_path,
        config,
        "fleet",
        "add-host",
        "web_c",
        "--password-env",
        "HOST_SECRET",
        "--url",
        pg_url,
        env={"HOST_SECRET": "s3cret"},
    )
    assert done.returncode == 0, done.stderr
    with psycopg.connect(pg_url) as conn:
        role = conn.execute(
            "SELECT rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'web_c'"
        ).fetchone()
    assert role == (True, True)
    env = {"MAPEKD_KNOWLEDGE__FLEET__URL": host_url}
    done = mapekd(tmp_path, config, "fleet", "status", "--json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["hosts"] == [] and report["quarantined"] == [] and report["error"] is None
    assert report["outbox"]["verdict"] == "not replicated yet"


def test_status_says_when_postgres_cannot_be_reached(tmp_path: Path) -> None:
    from tests.conftest import free_port

    config = fleet(
        tmp_path,
        url=f"postgresql://web_c@127.0.0.1:{free_port()}/fleet",
        host_id="web_c",
        connect_timeout="1s",
    )
    done = mapekd(tmp_path, config, "fleet", "status")
    assert done.returncode == 1
    assert "fleet unavailable" in done.stdout and "cannot connect" in done.stdout

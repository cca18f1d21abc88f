"""Three real daemons (`mapekd run`), each with its own service, knowledge base and host id, all
sharing one real PostgreSQL: what one host learns decides on another, a remedy that failed on two
hosts waits for an approval on the third, one alert sent to all three is acted on once, and a
PostgreSQL killed or frozen (SIGSTOP) mid-run loses no record while every host goes on healing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill
from tests.fleet.pg import Postgres
from tests.fleet.test_worker import outcomes

pytestmark = pytest.mark.slow
SIGNATURE = "svc_down@process:svc_process"


class Host:
    def __init__(self, root: Path, name: str, url: str, **fleet: Any) -> None:
        self.dir = root / name
        self.dir.mkdir()
        self.service = Service(self.dir, free_port())
        config = base_config(self.dir, self.service, cooldown="0s")
        config["knowledge"]["fleet"] = {
            "url": url,
            "host_id": name,
            "push_interval": "200ms",
            "pull_interval": "500ms",
            "max_backoff": "1s",
            "connect_timeout": "1s",
            **fleet,
        }
        config["actions"].append(
            {"name": "noop_svc", "type": "command", "argv": ["/bin/true"], "settle": "1s"}
        )
        self.config = config
        self.daemon = Daemon(self.dir, config)

    def start(self) -> None:
        self.service.start()
        self.daemon.start()

    def crash(self) -> None:
        pid = self.service.pid()
        assert pid is not None
        kill(pid)

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.dir / 'kb.db'}?mode=ro", uri=True) as conn:
            return conn.execute(query).fetchall()

    def fleet_status(self) -> dict[str, Any]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mapekd",
                "fleet",
                "status",
                "--json",
                "--config",
                str(self.daemon.config_path),
            ],
            capture_output=True,
            text=True,
            cwd=self.dir,
        )
        return dict(json.loads(done.stdout))


@pytest.fixture
def hosts() -> Iterator[list[Host]]:
    started: list[Host] = []
    yield started
    for host in started:
        proc = host.daemon.proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        host.service.stop_all()


def resolved(host: Host) -> int:
    return len(host.rows("SELECT id FROM outcomes WHERE result = 'resolved'"))


def test_a_remedy_learned_on_a_decides_on_b(pg_url: str, tmp_path: Path, hosts: list[Host]) -> None:
    a = Host(tmp_path, "a", pg_url)
    b = Host(tmp_path, "b", pg_url, min_hosts=1, min_successes=2, min_rate=0.9)
    # On b the rule's own order would try the useless remedy first.
    b.config["rules"][0]["remedies"] = ["noop_svc", "start_svc"]
    b.daemon = Daemon(b.dir, b.config)
    hosts.extend([a, b])
    a.start()
    b.start()
    for n in (1, 2):
        a.crash()
        wait_for(lambda n=n: resolved(a) == n, timeout=60, message=f"a healed crash {n}")
    wait_for(lambda: outcomes(pg_url) == 2, timeout=30, message="a's outcomes in the fleet")
    wait_for(lambda: any(h["host_id"] == "b" for h in a.fleet_status()["hosts"]), message="b in the fleet")
    b.crash()
    wait_for(lambda: resolved(b) == 1, timeout=60, message="b healed its crash")
    (decision,) = b.rows("SELECT action, source, reason FROM decisions WHERE action IS NOT NULL")
    assert decision[0] == "start_svc" and decision[1] == "fleet"
    assert decision[2].startswith("fleet: resolved 2/2 times on 1 hosts")
    assert a.daemon.stop() == 0 and b.daemon.stop() == 0


def test_a_remedy_failing_on_two_hosts_is_quarantined_on_the_third(
    pg_url: str, tmp_path: Path, hosts: list[Host]
) -> None:
    trio = [Host(tmp_path, name, pg_url) for name in ("a", "b", "c")]
    for host in trio:  # the remedy is broken everywhere: it starts nothing
        host.config["actions"][0]["argv"] = ["/bin/false"]
        host.config["policy"]["max_actions"] = 1
        host.daemon = Daemon(host.dir, host.config)
        host.start()
        hosts.append(host)
    a, b, c = trio
    for host in (a, b):
        host.crash()
        wait_for(
            lambda host=host: host.rows("SELECT id FROM outcomes"), timeout=60, message="a failed remedy"
        )
    wait_for(lambda: c.fleet_status().get("quarantined"), timeout=30, message="the quarantine")
    c.crash()
    waiting = wait_for(
        lambda: c.rows("SELECT action, reason FROM decisions WHERE verdict = 'pending_approval'"),
        timeout=60,
        message="c's decision waiting for an approval",
    )
    assert waiting[0][0] == "start_svc" and "quarantined fleet-wide" in waiting[0][1]
    assert c.rows("SELECT id FROM executions WHERE kind = 'remedy'") == [], "nothing ran on c"


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    server = Postgres().init().start()
    try:
        yield server
    finally:
        server.remove()


def test_postgres_killed_or_frozen_mid_run_loses_no_record(
    own_postgres: Postgres, tmp_path: Path, hosts: list[Host]
) -> None:
    url = own_postgres.url(own_postgres.create_database())
    a = Host(tmp_path, "a", url)
    a.config["policy"]["max_actions"] = 10
    a.daemon = Daemon(a.dir, a.config)
    hosts.append(a)
    a.start()
    a.crash()
    wait_for(lambda: outcomes(url) == 1, timeout=60, message="the first outcome in the fleet")
    own_postgres.kill()
    for n in (2, 3):
        a.crash()
        wait_for(lambda n=n: resolved(a) == n, timeout=60, message=f"healed crash {n} without PostgreSQL")
    status = subprocess.run(
        [sys.executable, "-m", "mapekd", "status", "--no-api", "--config", str(a.daemon.config_path)],
        capture_output=True,
        text=True,
        cwd=a.dir,
    )
    assert "PostgreSQL unreachable" in status.stdout and "healing from local knowledge" in status.stdout
    own_postgres.start()
    wait_for(lambda: outcomes(url) == 3, timeout=60, message="the outbox caught up")
    assert a.fleet_status()["hosts"][0]["dropped"] == 0

    own_postgres.freeze()  # every backend stopped: connections open, nothing answers
    try:
        for n in (4, 5):
            a.crash()
            wait_for(
                lambda n=n: resolved(a) == n, timeout=60, message=f"healed crash {n} with PostgreSQL frozen"
            )
        assert a.daemon.stop() == 0, "a clean stop, whatever the fleet's thread is waiting for"
    finally:
        own_postgres.thaw()
    a.daemon.start()
    wait_for(lambda: outcomes(url) == 5, timeout=60, message="caught up after the freeze")
    assert a.daemon.stop() == 0


ALERTS_TOKEN = "fleet-alerts-token-000001"


def hosts_seen(url: str) -> int:
    with psycopg.connect(url, connect_timeout=2) as conn:
        if conn.execute("SELECT to_regclass('hosts')").fetchone() == (None,):
            return 0
        row = conn.execute("SELECT COUNT(*) FROM hosts").fetchone()
    return int(row[0]) if row else 0


def alert_host(root: Path, name: str, url: str, ran: Path) -> tuple[Daemon, int]:
    port = free_port()
    (root / name).mkdir()
    config = {
        "daemon": {"interval": "1s", "shutdown_grace": "5s"},
        "checks": [{"name": "am", "type": "alertmanager"}],
        "rules": [{"name": "disk_full", "check": "am", "when": "firing == true", "remedies": ["cleanup"]}],
        "actions": [
            {
                "name": "cleanup",
                "type": "command",
                "argv": [sys.executable, "-c", f"open({str(ran)!r}, 'a').write({name!r} + '\\n')"],
                "settle": "200ms",
            }
        ],
        "policy": {"cooldown": "60s", "max_actions": 3, "window": "10m"},
        "plan": {"llm": "never"},
        "knowledge": {
            "path": str(root / name / "kb.db"),
            "fleet": {"url": url, "host_id": name, "push_interval": "200ms", "connect_timeout": "1s"},
        },
        "llm": {"embedded": False},
        "api": {
            "enabled": True,
            "port": port,
            "tokens": [{"name": "alertmanager", "token": ALERTS_TOKEN, "rights": ["alerts"]}],
        },
    }
    return Daemon(root / name, config), port


def alert_payload(labels: dict[str, str], fingerprint: str) -> dict[str, Any]:
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {},
        "startsAt": "2026-12-06T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": fingerprint,
    }
    return {"version": "4", "groupKey": "{}", "status": "firing", "receiver": "mapekd", "groupLabels": {},
            "commonLabels": {}, "commonAnnotations": {}, "externalURL": "", "alerts": [alert]}  # fmt: skip


@pytest.mark.parametrize("per_host", [False, True], ids=["same_alert", "differing_in_instance"])
def test_one_alert_sent_to_three_hosts_is_acted_on_once(pg_url: str, tmp_path: Path, per_host: bool) -> None:
    """The same alert on every host; or, `per_host`, each host's own `instance` (and so its own
    fingerprint): a per-host label (knowledge.fleet.host_labels), left out of the lease."""
    ran = tmp_path / "ran"
    names = ("a", "b", "c")
    trio = [alert_host(tmp_path, name, pg_url, ran) for name in names]
    payloads = [
        alert_payload(
            {"alertname": "DiskFull", "mount": "/srv", **({"instance": f"{name}:9100"} if per_host else {})},
            f"4f1c2a9e0b7d3c5{n}" if per_host else "4f1c2a9e0b7d3c51",
        )
        for n, name in enumerate(names)
    ]
    try:
        for daemon, _ in trio:
            daemon.start()
        # Every host connected to the fleet (its row written) before the alert comes.
        wait_for(lambda: hosts_seen(pg_url) == 3, timeout=30, message="three hosts in the fleet")
        for (_, port), payload in zip(trio, payloads, strict=True):
            response = httpx.post(
                f"http://127.0.0.1:{port}/api/v1/alerts",
                json=payload,
                headers={"authorization": f"Bearer {ALERTS_TOKEN}"},
                timeout=10,
            )
            assert response.status_code == 202
        wait_for(ran.exists, timeout=30, message="the remedy ran")
        time.sleep(6)  # six more cycles on every host, past the 5 s after which a denied lease is asked again
        assert len(ran.read_text().split()) == 1, ran.read_text()
        skipped = [e for d, _ in trio for e in d.events("fleet_lease_skipped")]
        assert skipped == []
    finally:
        for daemon, _ in trio:
            if daemon.proc is not None:
                assert daemon.stop() == 0

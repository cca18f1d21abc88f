"""The daemon runs every Monit check type in its loop: a rule `ok == false` on each opens an
incident exactly for the targets that are failing, including a log line appended while it runs."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
TYPES = {
    "port": "tcp",
    "disks": "filesystem",
    "probe": "program",
    "spool": "directory",
    "nics": "network",
    "applog": "file",
    "pipe": "fifo",
}


def config(tmp_path: Path, refused_port: int) -> Path:
    checks = [
        f"{{name: port, type: tcp, host: 127.0.0.1, port: {refused_port}}}",
        "{name: disks, type: filesystem, mounts: [/]}",
        "{name: probe, type: program, argv: [/bin/echo, fine], output_regex: fine}",
        f"{{name: spool, type: directory, path: {tmp_path / 'missing'}}}",
        "{name: nics, type: network, interfaces: [lo]}",
        f"{{name: applog, type: file, path: {tmp_path / 'app.log'}, content_regex: ERROR}}",
        f"{{name: pipe, type: fifo, path: {tmp_path / 'pipe'}}}",
    ]
    rules = [f"{{name: {name}_failing, check: {name}, when: 'ok == false'}}" for name in TYPES]
    path = tmp_path / "mapekd.yaml"
    items = ["checks:", *(f"  - {c}" for c in checks), "rules:", *(f"  - {r}" for r in rules)]
    head = f"daemon: {{interval: 0.5s}}\nknowledge: {{path: {tmp_path / 'kb.db'}}}\n"
    path.write_text(head + "\n".join(items) + "\n")
    return path


def signatures(kb: Path) -> set[str]:
    if not kb.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{kb}?mode=ro", uri=True, timeout=5) as db:
            return {row[0] for row in db.execute("SELECT signature FROM incidents")}
    except sqlite3.OperationalError:  # not migrated yet
        return set()


def wait_for(kb: Path, expected: set[str], daemon: subprocess.Popen[bytes]) -> set[str]:
    deadline = time.monotonic() + 60
    while not expected <= (found := signatures(kb)) and time.monotonic() < deadline:
        assert daemon.poll() is None, "the daemon exited"
        time.sleep(0.1)
    return found


@pytest.fixture
def daemon(tmp_path: Path, refused_url: str) -> Iterator[subprocess.Popen[bytes]]:
    (tmp_path / "app.log").write_text("ERROR from before the daemon started\n")
    os.mkfifo(tmp_path / "pipe")
    port = int(refused_url.rsplit(":", 1)[1].strip("/"))
    argv = [sys.executable, "-m", "mapekd", "run", "--dry-run", "--log-format", "text"]
    proc = subprocess.Popen([*argv, "--config", str(config(tmp_path, port))], stdout=subprocess.DEVNULL)
    yield proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def test_each_type_in_the_loop_and_a_log_line_appended_while_it_runs(
    tmp_path: Path, daemon: subprocess.Popen[bytes]
) -> None:
    kb = tmp_path / "kb.db"
    failing = {"port_failing@tcp:port", "spool_failing@directory:spool"}
    assert wait_for(kb, failing, daemon) == failing  # the others are fine, the old ERROR too

    with (tmp_path / "app.log").open("a") as log:
        log.write("INFO fine\nERROR disk quota exceeded\n")
    found = wait_for(kb, failing | {"applog_failing@file:applog"}, daemon)

    assert found == failing | {"applog_failing@file:applog"}

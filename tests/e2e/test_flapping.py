"""A service that dies right after every start gets at most max_actions restarts in the window,
then the incident gives up and escalates (webhook); no restart storm follows."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port, wait_for
from tests.e2e.harness import Daemon, Service, base_config, kill

MAX_ACTIONS = 3


class Receiver:
    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    thread = threading.Thread(target=rec.server.serve_forever, daemon=True)
    thread.start()
    yield rec
    rec.server.shutdown()


def test_flapping_service_gives_up_after_max_actions(
    tmp_path: Path, daemons: list[Daemon], receiver: Receiver
) -> None:
    service = Service(tmp_path, free_port(), crash_after=1.0)
    try:
        _run(tmp_path, service, daemons, receiver)
    finally:
        service.stop_all()


def _run(tmp_path: Path, service: Service, daemons: list[Daemon], receiver: Receiver) -> None:
    first_pid = service.start()
    config = base_config(tmp_path, service, cooldown="500ms", escalate="page_oncall")
    config["actions"].append({"name": "page_oncall", "type": "webhook", "url": receiver.url})
    config["knowledge"]["record_samples"] = True  # the samples table counts the cycles below
    daemon = Daemon(tmp_path, config)
    daemons.append(daemon)
    daemon.start()
    kill(first_pid)

    gave_up = wait_for(
        lambda: daemon.events("decision", verdict="gave_up"), timeout=60, message="gave_up decision"
    )[0]
    assert gave_up["counter"]["used"] == MAX_ACTIONS and gave_up["counter"]["limit"] == MAX_ACTIONS
    wait_for(lambda: receiver.posts, message="escalation webhook")
    assert receiver.posts[0]["params"]["status"] == "gave_up"

    db_path = tmp_path / "kb.db"
    with sqlite3.connect(db_path) as db:
        cycles_before = db.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
    # Let the daemon run at least 5 more cycles (2 checks each) while the service stays dead.
    wait_for(
        lambda: _count(db_path, "SELECT COUNT(*) FROM samples") >= cycles_before + 10,
        message="five more cycles",
    )
    assert _count(db_path, "SELECT COUNT(*) FROM executions WHERE action = 'start_svc'") == MAX_ACTIONS
    assert len(daemon.events("decision", action="start_svc")) == MAX_ACTIONS
    assert len(receiver.posts) == 1, "escalated more than once"
    statuses = [r["status"] for r in daemon.kb("incidents", "--since", "1h")]
    assert statuses[0] == "gave_up"  # the newest incident: still dead, no longer acted on
    # The escalation is recorded like any execution: one notify delivery, after the gave_up decision.
    notify = _count(
        db_path,
        "SELECT COUNT(*) FROM executions WHERE kind = 'notify' AND "
        "event = 'gave_up' AND action = 'page_oncall' AND state = 'succeeded'",
    )
    assert notify == 1
    assert daemon.stop() == 0


def _count(db_path: Path, sql: str) -> int:
    with sqlite3.connect(db_path) as db:
        return int(db.execute(sql).fetchone()[0])

"""Notices reach webhook sinks in the background, retried with backoff, each delivery recorded as
an execution of kind `notify`; a broken sink or store never raises into the loop."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from mapekd.config.actions import WebhookActionConfig
from mapekd.config.settings import NotificationsConfig
from mapekd.execute.actions.webhook import WebhookAction
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.notify.dispatcher import Notifier
from mapekd.notify.notice import Notice
from mapekd.shared_http import SharedHttp


class Sink:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.posts: list[dict[str, Any]] = []


@pytest.fixture
def sink() -> Iterator[tuple[str, Sink]]:
    state = Sink(failures=2)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            failing = len(state.posts) <= state.failures
            self.send_response(503 if failing else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    server.shutdown()


def incident(store: SqliteStore) -> tuple[int, int]:
    symptom = Symptom("svc_down", "process:svc", "critical", "svc is down", {})
    incident_id = store.open_incident(symptom)
    decision_id = store.record_decision(
        {
            "incident_id": incident_id,
            "ts": time.time(),
            "verdict": "gave_up",
            "target": "process:svc",
            "source": "policy",
        }
    )
    return incident_id, decision_id


def notifier(
    store: SqliteStore, url: str, http: httpx.AsyncClient, fmt: str = "json", **cfg: Any
) -> Notifier:
    action = WebhookAction(
        WebhookActionConfig(name="page", type="webhook", url=url, format=fmt), http=SharedHttp(http)
    )
    config = NotificationsConfig(backoff=0.01, max_backoff=0.05, **cfg)
    return Notifier(config, "page", {"page": action}, store, dry_run=False)


async def test_a_failing_sink_is_retried_and_the_delivery_recorded(
    tmp_path: Path, sink: tuple[str, Sink]
) -> None:
    url, state = sink
    store = SqliteStore(tmp_path / "kb.db")
    incident_id, decision_id = incident(store)
    async with httpx.AsyncClient() as http:
        n = notifier(store, url, http)
        started = time.monotonic()
        n.send(Notice("gave_up", incident_id, decision_id, "svc_down@process:svc", "process:svc", "down"))
        assert time.monotonic() - started < 0.05  # returns at once: delivery is in the background
        await n.drain(10)

    assert len(state.posts) == 3 and state.posts[-1]["status"] == "gave_up"
    [row] = store._rows("SELECT * FROM executions")
    assert row["kind"] == "notify" and row["event"] == "gave_up" and row["action"] == "page"
    assert row["state"] == "succeeded" and row["attempts"] == 3
    assert store.remedies_since(0) == []  # a notification is not a remedy: policy does not count it
    store.close()


async def test_a_sink_that_never_answers_ends_failed_after_its_attempts(
    tmp_path: Path, sink: tuple[str, Sink]
) -> None:
    url, state = sink
    state.failures = 100
    store = SqliteStore(tmp_path / "kb.db")
    incident_id, decision_id = incident(store)
    async with httpx.AsyncClient() as http:
        n = notifier(store, url, http, attempts=4, sinks=["page"])
        n.send(Notice("action_failed", incident_id, decision_id, "s", "process:svc", "failed"))
        await n.drain(10)
    [row] = store._rows("SELECT state, attempts, error FROM executions")
    assert row == {"state": "failed", "attempts": 4, "error": "HTTP 503"}
    store.close()


async def test_slack_sinks_get_a_slack_message(tmp_path: Path, sink: tuple[str, Sink]) -> None:
    url, state = sink
    state.failures = 0
    store = SqliteStore(tmp_path / "kb.db")
    incident_id, decision_id = incident(store)
    async with httpx.AsyncClient() as http:
        n = notifier(store, url, http, fmt="slack")
        n.send(
            Notice("gave_up", incident_id, decision_id, "svc_down@process:svc", "process:svc", "svc is down")
        )
        await n.drain(10)
    [post] = state.posts
    assert "svc_down@process:svc" in post["text"] and post["blocks"][0]["type"] == "header"
    store.close()


async def test_a_broken_store_never_raises_into_the_caller(tmp_path: Path, sink: tuple[str, Sink]) -> None:
    url, _ = sink
    store = SqliteStore(tmp_path / "kb.db")
    incident_id, decision_id = incident(store)
    store.close()  # every write now fails
    async with httpx.AsyncClient() as http:
        n = notifier(store, url, http)
        n.send(Notice("gave_up", incident_id, decision_id, "s", "t", "x"))
        await asyncio.sleep(0)
        await n.drain(5)

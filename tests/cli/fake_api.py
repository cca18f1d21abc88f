"""A stand-in for the daemon's API on loopback: `GET /api/v1/status` with a bearer token, in the
API's shape, answering at once or (hold=True) not until the test ends."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "read-token-0123456789"


def status_body(now: float) -> dict[str, Any]:
    return {
        "loop": {
            "mode": "daemon",
            "running": True,
            "interval_s": 5.0,
            "last_cycle_at": now - 2,
            "last_cycle_age_s": 2.0,
            "checks": [
                {
                    "name": "host",
                    "type": "host",
                    "ok": True,
                    "targets": 1,
                    "failing": [],
                    "last_sample_at": now - 2,
                },
                {
                    "name": "web",
                    "type": "process",
                    "ok": False,
                    "targets": 1,
                    "failing": ["process:web"],
                    "last_sample_at": now - 2,
                },
            ],
        },
        "open_incidents": [],
        "providers": {"canned": {"status": "available", "breaker": {"state": "closed"}}},
        "budget": {"daily_spent": 0.5, "daily_limit": None},
    }


@contextmanager
def serve(now: float, *, hold: bool = False) -> Iterator[str]:
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if hold:
                release.wait(30)
            if self.headers.get("authorization") != f"Bearer {TOKEN}":
                self.send_response(401)
                self.end_headers()
                return
            body = json.dumps(status_body(now)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)

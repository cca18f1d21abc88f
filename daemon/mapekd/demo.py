"""A small HTTP service to heal: `python -m mapekd.demo --port 8787 --pidfile var/demo.pid`.

The example configuration watches it; the tests start it, break it and watch mapekd mend it.
`GET /health` answers 200 `ok`. `--crash-after S` makes it die S seconds after starting (a
service that flaps)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok\n" if self.path in ("/", "/health") else b"not found\n"
        self.send_response(200 if body == b"ok\n" else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mapekd.demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--pidfile")
    parser.add_argument("--crash-after", type=float, default=None)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), _Handler)
    if args.pidfile:
        Path(args.pidfile).parent.mkdir(parents=True, exist_ok=True)
        Path(args.pidfile).write_text(f"{os.getpid()}\n")
    if args.crash_after is not None:
        threading.Timer(args.crash_after, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"demo service on http://{args.host}:{args.port}/health pid {os.getpid()}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The processes the decision-quality bench breaks and mends (standard library only, so that
actions run it as a plain script):

    svc.py serve --port P --pidfile F [--upstream URL] [--broken-flag PATH] -- TAG
        an HTTP service: GET /health -> 200 ok (503 when its upstream does not answer).
        SIGUSR1: every answer from now on takes 0.6 s (slow). SIGUSR2: leaks 8 MB every 100 ms.
        With --broken-flag, when that file exists at start it dies 1 s later (a bad deploy).
    svc.py restart --pidfile F [serve options] -- TAG
        a graceful restart: SIGTERM to the pid in F, wait up to 1 s; an instance that does not
        exit is left alone and the restart fails (exit 1); else this process becomes the service.
    svc.py supervise --pidfile F [serve options] -- TAG
        restarts the service 0.3 s after every exit (as systemd's Restart=always would).
    svc.py kick --pidfile F       SIGTERM to the pid in F (its supervisor starts it again)
    svc.py spin --seconds S -- TAG     a job burning one CPU for S seconds
    svc.py fill --dir D --mb N -- TAG  appends to D/dump.tmp, 8 MB every 100 ms, up to N MB
    svc.py exporter --port P --dir D -- TAG  Prometheus exposition: spool_bytes = size of D

TAG is an argument of no meaning to the program: it marks the process as the bench's own.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SLOW_S = 0.6
LEAK_CHUNK = 8 * 2**20
LEAK_CAP = 1536 * 2**20


class State:
    slow = False
    upstream: str | None = None
    leaked: list[bytes] = []  # held, so that the memory stays in use


class Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if State.slow:
            time.sleep(SLOW_S)
        code, body = (200, b"ok\n") if upstream_ok() else (503, b"upstream down\n")
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def upstream_ok() -> bool:
    if State.upstream is None:
        return True
    try:
        with urllib.request.urlopen(State.upstream, timeout=0.3) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def leak() -> None:
    while sum(map(len, State.leaked)) < LEAK_CAP:
        State.leaked.append(b"\x01" * LEAK_CHUNK)  # written, so resident
        time.sleep(0.1)


def serve(args: argparse.Namespace) -> int:
    State.upstream = args.upstream
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Health)
    Path(args.pidfile).write_text(f"{os.getpid()}\n")
    if args.broken_flag and Path(args.broken_flag).exists():
        threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGUSR1, lambda *_: setattr(State, "slow", True))
    signal.signal(signal.SIGUSR2, lambda *_: threading.Thread(target=leak, daemon=True).start())
    server.serve_forever()
    return 0


def read_pid(pidfile: str) -> int | None:
    try:
        return int(Path(pidfile).read_text())
    except (OSError, ValueError):
        return None


def exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still exists for kill(0) until its parent reaps it: it is gone nonetheless.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def restart(args: argparse.Namespace) -> int:
    # The pidfile names this process first, so the stop of the old instance is not seen as a crash.
    pid = read_pid(args.pidfile)
    Path(args.pidfile).write_text(f"{os.getpid()}\n")
    if pid is not None and exists(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 1.0
        while exists(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if exists(pid):
            Path(args.pidfile).write_text(f"{pid}\n")  # left as it was
            print(f"pid {pid} did not exit after SIGTERM", file=sys.stderr)
            return 1
    return serve(args)


def supervise(args: argparse.Namespace) -> int:
    child: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for proc in child:
            proc.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    while True:
        argv = [sys.executable, __file__, "serve", *serve_options(args), "--", args.tag]
        child[:] = [subprocess.Popen(argv)]
        child[0].wait()
        time.sleep(0.3)


def serve_options(args: argparse.Namespace) -> list[str]:
    out = ["--port", str(args.port), "--pidfile", args.pidfile]
    out += ["--upstream", args.upstream] if args.upstream else []
    return out + (["--broken-flag", args.broken_flag] if args.broken_flag else [])


def spin(args: argparse.Namespace) -> int:
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        pass
    return 0


def fill(args: argparse.Namespace) -> int:
    with open(Path(args.dir) / "dump.tmp", "ab") as out:
        for _ in range(args.mb // 8):
            out.write(b"\0" * LEAK_CHUNK)
            out.flush()
            time.sleep(0.1)
    return 0


def exporter(args: argparse.Namespace) -> int:
    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            size = sum(e.stat().st_size for e in os.scandir(args.dir) if e.is_file())
            body = f"# TYPE spool_bytes gauge\nspool_bytes {size}\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", args.port), Metrics).serve_forever()
    return 0


def kick(args: argparse.Namespace) -> int:
    pid = read_pid(args.pidfile)
    if pid is None or not exists(pid):
        return 1
    os.kill(pid, signal.SIGTERM)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="svc.py")
    sub = top.add_subparsers(dest="command", required=True)
    for name in ("serve", "restart", "supervise"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--port", type=int, required=True)
        cmd.add_argument("--pidfile", required=True)
        cmd.add_argument("--upstream")
        cmd.add_argument("--broken-flag")
    sub.add_parser("kick").add_argument("--pidfile", required=True)
    sub.add_parser("spin").add_argument("--seconds", type=float, default=600.0)
    filler = sub.add_parser("fill")
    filler.add_argument("--dir", required=True)
    filler.add_argument("--mb", type=int, required=True)
    export = sub.add_parser("exporter")
    export.add_argument("--port", type=int, required=True)
    export.add_argument("--dir", required=True)
    for cmd in sub.choices.values():
        cmd.add_argument("tag", nargs="?", default="")
    return top


COMMANDS = {
    "serve": serve,
    "restart": restart,
    "supervise": supervise,
    "kick": kick,
    "spin": spin,
    "fill": fill,
    "exporter": exporter,
}

if __name__ == "__main__":
    arguments = parser().parse_args()
    sys.exit(COMMANDS[arguments.command](arguments))

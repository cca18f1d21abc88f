"""The processes `mapekd eval` breaks and mends (standard library only, so that actions run it as a
plain script with the interpreter's own path, nothing imported from mapekd):

    svc.py serve --port P --pidfile F [--upstream URL] [--log FILE] [--data FILE] [--conf FILE]
                 [--broken-flag PATH] [--degrade-flag PATH] [--leak-flag PATH] [--cgroup DIR] -- TAG
        an HTTP service: GET /health -> 200 ok (503 when its upstream does not answer). What goes
        wrong is written to --log, as a service's own log would say it:
        SIGUSR1: every answer from now on takes 0.6 s (slow). SIGUSR2: leaks 8 MB every 100 ms.
        SIGWINCH: a deadlock: every request blocks for good and SIGTERM is ignored (a hang).
        SIGHUP: reads --conf again; an invalid one leaves the service answering 500 (and a new
        instance refuses to start on it: a broken config no restart fixes).
        --data: every request appends to this file first (a FIFO nobody reads: an I/O stall).
        --broken-flag: when that file exists at start, the instance dies 1 s later (a bad deploy).
        --degrade-flag: while that file exists, the instance answers 503 from 1.5 s after its
        start (a restart "works" for one sample only).
        --leak-flag: when that file exists at start, the instance starts leaking 0.5 s later.
        --cgroup: the instance moves itself into that cgroup (a memory limit the scenario set).
    svc.py restart --pidfile F [serve options] -- TAG
        a graceful restart: SIGTERM to the pid in F, wait up to 1 s; an instance that does not
        exit is left alone and the restart fails (exit 1); else this process becomes the service.
    svc.py supervise --pidfile F [serve options] -- TAG
        restarts the service 0.3 s after every exit (as systemd's Restart=always would).
    svc.py kick --pidfile F       SIGTERM to the pid in F (its supervisor starts it again)
    svc.py spin --seconds S -- TAG     a job burning one CPU for S seconds
    svc.py fill --dir D --mb N -- TAG  appends to D/dump.tmp, 8 MB every 100 ms, up to N MB
    svc.py exporter --port P --dir D -- TAG  Prometheus exposition: spool_bytes = size of D

TAG is an argument of no meaning to the program: it marks the process as the evaluation's own.
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
DEGRADE_AFTER_S = 1.5
STALL_REPORT_S = 1.0
KNOWN_CONF_KEYS = frozenset({"workers", "timeout", "cache_mb"})
EX_CONFIG = 78
UPSTREAM_S = 0.8
"""How long the upstream has to answer: within the health check's 1 s, and long enough that a
loaded host does not log a timeout (a stray error line would be another cause's evidence)."""


class State:
    slow = False
    hung = False
    conf_error: str | None = None
    started = 0.0
    args: argparse.Namespace
    io_since: float | None = None
    leaked: list[bytes] = []  # held, so that the memory stays in use


def log(level: str, message: str) -> None:
    """One line in the service's own log, with its level as services write it, opened and
    closed per line (rotation-safe)."""
    if State.args.log:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        with open(State.args.log, "a", encoding="utf-8") as out:
            out.write(f"{stamp} web[{os.getpid()}] {level}: {message}\n")


class Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if State.hung:
            threading.Event().wait()  # the lock is never released
        if State.args.data:
            append_data(State.args.data)
        if State.slow:
            time.sleep(SLOW_S)
        code, body = answer()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def answer() -> tuple[int, bytes]:
    if State.conf_error is not None:
        return 500, b"config invalid\n"
    if degraded():
        log("ERROR", "connection pool exhausted: 64 of 64 connections checked out, none returned")
        return 503, b"pool exhausted\n"
    problem = upstream_problem()
    if problem is not None:
        log("ERROR", f"upstream {State.args.upstream}: {problem}")
        return 503, b"upstream down\n"
    return 200, b"ok\n"


def degraded() -> bool:
    flag = State.args.degrade_flag
    return bool(flag) and Path(flag).exists() and time.monotonic() - State.started > DEGRADE_AFTER_S


def upstream_problem() -> str | None:
    if State.args.upstream is None:
        return None
    try:
        # The upstream is a loopback URL the evaluation itself chose.
        with urllib.request.urlopen(State.args.upstream, timeout=UPSTREAM_S) as reply:  # noqa: S310
            return None if reply.status == 200 else f"HTTP {reply.status}"
    except OSError as exc:
        return str(getattr(exc, "reason", exc))


def append_data(path: str) -> None:
    """A real blocking write: opening a FIFO that nobody reads blocks until a reader comes."""
    State.io_since = time.monotonic()
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{time.time():.3f} heartbeat\n")
    State.io_since = None


def watch_io() -> None:
    while True:
        time.sleep(STALL_REPORT_S)
        since = State.io_since
        if since is not None and time.monotonic() - since >= STALL_REPORT_S:
            log(
                "ERROR", f"I/O stall: write to {State.args.data} blocked for {time.monotonic() - since:.1f} s"
            )


def leak() -> None:
    log("INFO", "cache warm-up: loading the whole session index into memory")
    while sum(map(len, State.leaked)) < LEAK_CAP:
        State.leaked.append(b"\x01" * LEAK_CHUNK)  # written, so resident
        time.sleep(0.1)


def hang() -> None:
    State.hung = True
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the shutdown path needs the same lock
    log("ERROR", "deadlock: request workers wait for the cache lock held by the reload thread")


def conf_problem(path: str) -> str | None:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror}"
    for number, line in enumerate(lines, 1):
        key, sep, _ = line.partition("=")
        if line.strip() and (not sep or key.strip() not in KNOWN_CONF_KEYS):
            return f"{path} line {number}: unknown key {key.strip()!r}"
    return None


def reload_conf() -> None:
    State.conf_error = conf_problem(State.args.conf) if State.args.conf else None
    if State.conf_error is not None:
        log("ERROR", f"config error: {State.conf_error}; still serving, answering 500")


def serve(args: argparse.Namespace) -> int:
    State.args, State.started = args, time.monotonic()
    if args.cgroup:
        Path(args.cgroup, "cgroup.procs").write_text(f"{os.getpid()}\n")
    if args.conf and (problem := conf_problem(args.conf)) is not None:
        log("ERROR", f"config error: {problem}; refusing to start")
        return EX_CONFIG
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Health)
    Path(args.pidfile).write_text(f"{os.getpid()}\n")
    log("INFO", f"listening on 127.0.0.1:{args.port}")
    if args.broken_flag and Path(args.broken_flag).exists():
        log("FATAL", "schema migration 0042 failed: column sessions.owner already exists")
        threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
    if args.leak_flag and Path(args.leak_flag).exists():
        threading.Timer(0.5, leak).start()
    threading.Thread(target=watch_io, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGUSR1, lambda *_: setattr(State, "slow", True))
    signal.signal(signal.SIGUSR2, lambda *_: threading.Thread(target=leak, daemon=True).start())
    signal.signal(signal.SIGWINCH, lambda *_: hang())
    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=reload_conf).start())
    server.serve_forever()
    log("INFO", "stopped")
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


SERVE_OPTIONS = ("upstream", "log", "data", "conf", "broken_flag", "degrade_flag", "leak_flag", "cgroup")


def serve_options(args: argparse.Namespace) -> list[str]:
    out = ["--port", str(args.port), "--pidfile", args.pidfile]
    for name in SERVE_OPTIONS:
        if getattr(args, name):
            out += ["--" + name.replace("_", "-"), getattr(args, name)]
    return out


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
        for option in SERVE_OPTIONS:
            cmd.add_argument("--" + option.replace("_", "-"))
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
